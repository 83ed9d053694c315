"""In Japanese, an operator reads no English sentence on the common paths.

Each command and error path an operator meets in a month runs with ``--lang ja`` on a
small TEST network; its stdout and stderr may hold ids, paths, codes, hashes and
numbers, but no run of three English words. What cannot be Japanese yet is listed in
KNOWN_GAPS with the reason, so a gap is a decision and not an accident.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from secxfer.domain.sample import generate_sample
from secxfer.testing.network import build_network

CODES = ["131016", "131024"]
PERIOD = "2026-10"

# Paths, participant ids, file names, option names and hex: not sentences, stripped first.
NOT_WORDS = [
    re.compile(r"(?:[A-Za-z]:)?[\\/]?(?:[\w.@+-]+[\\/])+[\w.@+-]*"),  # paths
    re.compile(r"\b(?:mun|fed)-[\w-]+"),  # participant ids and the names built on them
    re.compile(r"[\w.-]+\.(?:age|sig|csv|json|jsonl|xlsx|html|key|card|receipt|txt)\b"),
    re.compile(r"--?[a-z][\w-]*"),  # options
    re.compile(r"\bsecxfer(?: [a-z][\w-]*)*"),  # commands named in a hint
    re.compile(r"\b[0-9a-f]{8,}\b"),
]
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{3,} [a-z]{2,} [a-z]{2,}")

# Paths that cannot be Japanese yet, each with why: (pattern in the stripped text, reason).
KNOWN_GAPS: list[tuple[str, str]] = [
    ("the operations log does not verify:",
     "log verify lists each broken link and checkpoint as composed in secxfer/ledger/oplog.py and the checkpoint "
     "checks; those problems carry no facts yet, so the title and hint are Japanese and the list stays English"),
]


def english_sentences(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        stripped = line
        for pattern in NOT_WORDS:
            stripped = pattern.sub(" ", stripped)
        if ENGLISH_SENTENCE.search(stripped) and not any(gap in stripped for gap, _ in KNOWN_GAPS):
            found.append(line)
    return found


def test_the_rule_sees_english_and_passes_ids_and_paths():
    assert english_sentences("エラー: 開けません(詳細: the package is for someone else)")
    assert not english_sentences("書き出しました: /tmp/out/fed-13-to-mun-131016/2026-10-abc.age")
    assert not english_sentences("mun-131016 受領確認済み sha256 0123456789abcdef")


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    root = tmp_path_factory.mktemp("jaeverywhere")
    network = build_network(root / "net", insurer_codes=CODES, now=dt.datetime.now(dt.timezone.utc))
    sample = generate_sample(root / "source", period=PERIOD, rows=40, seed=5, insurers=CODES)
    return root, network, [Path(f) for f in sample.files]


@pytest.fixture
def ja(run_cli, monkeypatch, english_afterwards):
    """Run a command in Japanese and collect every line it printed."""
    monkeypatch.setenv("SECXFER_OPERATOR", "山田")
    lines: list[str] = []

    def call(*args, code=0):
        out, err = run_cli("--lang", "ja", *args, code=code)
        lines.extend(f"{' '.join(map(str, args[:2]))}: {line}" for line in (out + err).splitlines())
        return out, err

    call.lines = lines
    return call


def test_a_month_and_its_errors_print_no_english_sentence(month, ja, tmp_path, monkeypatch):
    root, network, files = month
    homes, keys = tmp_path / "homes", root / "net" / "keys"
    shutil.copytree(root / "net" / "homes", homes)
    media, returns, opened = tmp_path / "media", tmp_path / "returns", tmp_path / "opened"

    def as_(pid):
        return ["--key", keys / f"{pid}.key", "--home", homes / pid]

    annexes = ["--annex1", files[0], "--annex2", files[1], "--annex3", files[2]]
    # validate and seal: a rejected row first, then the month
    bad = tmp_path / "bad1.csv"
    raw = files[0].read_bytes().split(b"\r\n")
    raw[1] = b",".join([b"x"] * raw[1].count(b","))  # every field wrong
    bad.write_bytes(b"\r\n".join(raw))
    ja("validate", "--annex", 1, "--period", PERIOD, files[0])
    ja("validate", "--annex", 1, "--period", PERIOD, bad, code=4)
    ja("seal", "--period", PERIOD, "--annex1", bad, *annexes[2:], *as_("agency"), "--out", media, code=4)
    ja("seal", "--period", PERIOD, *annexes, *as_("agency"), "--out", media)
    ja("seal", "--period", PERIOD, *annexes, *as_("agency"), "--out", media, code=1)  # sealed already
    (sealed,) = (media / "agency-to-central").glob("*.age")
    ja("verify", sealed, "--home", homes / "central")
    ja("media", "verify", media, "--home", homes / "central")
    ja("relay", sealed, *as_("central"), "--out", media)
    (to_fed,) = (media / "central-to-fed-13").glob("*.age")
    ja("relay", to_fed, *as_("fed-13"), "--out", media)
    (package,) = (media / "fed-13-to-mun-131016").glob("*.age")

    # verify: tampered, missing .sig
    damaged = tmp_path / "damaged" / package.name
    damaged.parent.mkdir()
    shutil.copy(package, damaged)
    shutil.copy(package.with_name(package.name + ".sig"), damaged.with_name(damaged.name + ".sig"))
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    ja("verify", damaged, "--home", homes / "mun-131016", code=3)
    unsigned = tmp_path / "unsigned" / package.name
    unsigned.parent.mkdir()
    shutil.copy(package, unsigned)
    ja("verify", unsigned, "--home", homes / "mun-131016", code=1)

    copied = tmp_path / "copied-medium"
    shutil.copytree(media, copied)
    shutil.copy(damaged, copied / "fed-13-to-mun-131016" / package.name)
    ja("media", "verify", copied, "--home", homes / "mun-131016", code=3)

    # open: wrong key, tampered, ok, replay, output exists
    ja("open", package, *as_("mun-131024"), "--out", tmp_path / "wrong", code=3)
    ja("open", damaged, *as_("mun-131016"), "--out", tmp_path / "tampered", code=3)
    ja("open", package, *as_("mun-131016"), "--out", opened)
    ja("open", package, *as_("mun-131016"), "--out", tmp_path / "again", code=3)
    (other,) = (media / "fed-13-to-mun-131024").glob("*.age")
    ja("open", other, *as_("mun-131024"), "--out", opened, code=1)

    # receipts up, status, reconcile, log
    ja("receipts", "forward", PERIOD, *as_("mun-131016"), "--out", returns)
    ja("receipts", "collect", returns, *as_("fed-13"))
    ja("receipts", "forward", PERIOD, *as_("fed-13"), "--out", returns)
    ja("receipts", "collect", returns, *as_("central"))
    ja("receipts", "forward", PERIOD, *as_("central"), "--out", returns)
    ja("receipts", "collect", returns, *as_("agency"))
    ja("status", PERIOD, "--home", homes / "agency")
    ja("reconcile", PERIOD, "--home", homes / "agency", code=1)
    ja("log", "verify", "--home", homes / "mun-131016")
    ja("calendar", PERIOD)

    # keys and the directory
    ja("keys", "generate", "mun-131024", "--out", tmp_path / "newkeys", "--test-key")
    ja("keys", "generate", "mun-131024", "--out", tmp_path / "newkeys", "--test-key", code=1)  # exists
    ja("keys", "show", tmp_path / "newkeys" / "mun-131024.card")
    ja("directory", "show", root / "net" / "keys" / "root.json")
    signed = tmp_path / "directory.json"
    signed.write_bytes(network.signed_directory)
    ja("directory", "show", signed)
    ja("directory", "import", signed, "--root", keys / "root.json", "--home", tmp_path / "freshhome")

    # a key file protected by a passphrase: none given, a wrong one
    from secxfer.trust.secret_keys import save_secret_key

    protected = tmp_path / "protected" / "mun-131016.key"
    protected.parent.mkdir()
    save_secret_key(network.secrets["mun-131016"], protected, passphrase="正しい合言葉 correct horse".encode())
    shutil.copy(keys / "root.json", protected.parent / "root.json")
    ja("open", package, "--key", protected, "--home", homes / "mun-131016", "--out", tmp_path / "p", code=2)
    monkeypatch.setenv("SECXFER_PASSPHRASE", "wrong")
    ja("open", package, "--key", protected, "--home", homes / "mun-131016", "--out", tmp_path / "p", code=3)
    monkeypatch.delenv("SECXFER_PASSPHRASE")

    # usage errors and a file that is not there
    ja("open", tmp_path / "nothing.age", *as_("mun-131016"), "--out", tmp_path / "x", code=1)
    ja("seal", "--period", "2026-13", *annexes, *as_("agency"), "--out", media, code=2)

    assert len(ja.lines) > 100
    found = [line for line in ja.lines if english_sentences(line.split(": ", 1)[1])]
    assert not found, "English in Japanese output:\n" + "\n".join(found)


def test_every_worded_detail_and_notice_is_japanese_with_the_english_placeholders():
    from secxfer.cli.i18n import catalog

    worded = {key: entry for key, entry in catalog().items()
              if key.startswith("notice.") or (key.startswith("error.") and ".detail" in key)}
    assert len(worded) >= 20
    for key, entry in worded.items():
        assert not english_sentences(entry["ja"]), key


def test_a_notice_is_its_english_sentence_and_words_itself_in_japanese(english_afterwards):
    from secxfer.cli.i18n import set_language, worded
    from secxfer.notices import Notice

    notice = Notice("fed-13: first checkpoint held (6 entries, root 0123456789abcdef…); later ones are checked "
                    "against it", wording="checkpoint-first-held",
                    values={"child": "fed-13", "entries": 6, "root": "0123456789abcdef"})
    assert notice == str(notice) and notice.startswith("fed-13: first checkpoint held")
    set_language("en")
    assert worded(notice) == notice
    set_language("ja")
    assert worded(notice) == "fed-13: 最初のチェックポイントを保持しました(6 件、ルート 0123456789abcdef…)。以後のチェックポイントはこれと照合します"
    assert worded("plain text") == "plain text"


def test_a_site_wording_never_falls_back_to_another_sites_sentence():
    from secxfer.cli.i18n import error_text
    from secxfer.errors import NotFoundError, OutputExistsError

    assert "{" not in error_text(OutputExistsError, "detail", {"wording": "exists", "path": "/x"})
    assert error_text(NotFoundError, "detail", {"wording": "nowhere", "path": "/x"}) is None


def test_the_less_common_refusals_print_no_english_sentence(month, ja, tmp_path):
    root, network, files = month
    homes, keys = tmp_path / "homes", root / "net" / "keys"
    shutil.copytree(root / "net" / "homes", homes)
    media = tmp_path / "media"

    def as_(pid):
        return ["--key", keys / f"{pid}.key", "--home", homes / pid]

    ja("seal", "--period", PERIOD, "--annex1", files[0], "--annex2", files[1], "--annex3", files[2],
       *as_("agency"), "--out", media)
    (sealed,) = (media / "agency-to-central").glob("*.age")
    ja("relay", sealed, *as_("fed-13"), "--out", media, code=3)  # not for fed-13
    ja("relay", sealed, *as_("central"), "--out", media)
    ja("relay", sealed, *as_("central"), "--out", media, code=3)  # replayed relay
    ja("receipts", "collect", tmp_path / "empty-return", *as_("agency"), code=1)
    ja("status", "2026-13", "--home", homes / "agency", code=2)
    ja("calendar", "october", code=2)
    card = tmp_path / "bad.card"
    card.write_bytes((keys / "mun-131016.card").read_bytes()[:-40])
    ja("keys", "show", card, code=3)
    log = homes / "agency" / "ledger" / "oplog.jsonl"
    lines = log.read_bytes().split(b"\n")
    lines[0] = lines[0].replace(b'"who":"', b'"who":"X', 1)
    log.write_bytes(b"\n".join(lines))
    ja("log", "verify", "--home", homes / "agency", code=3)

    found = [line for line in ja.lines if english_sentences(line.split(": ", 1)[1])]
    assert not found, "English in Japanese output:\n" + "\n".join(found)


def test_a_refusal_under_a_compromised_key_is_worded_in_japanese(trust_time_world, tmp_path, english_afterwards):
    from secxfer.cli.i18n import error_text, set_language
    from secxfer.errors import CompromisedKeyError
    from tests.test_trust_time import NOW, fresh, relay_at, revoke, seal_at

    network, files, homes = fresh(trust_time_world, tmp_path)
    revoke(network, homes, "agency", at=NOW - dt.timedelta(days=1))
    package = seal_at(network, files, homes, tmp_path / "media", NOW - dt.timedelta(days=3))
    with pytest.raises(CompromisedKeyError) as refused:
        relay_at(network, homes, package, "central", tmp_path / "out", NOW)
    set_language("ja")
    detail = error_text(CompromisedKeyError, "detail", refused.value.facts)
    assert detail and "漏えいのため失効" in detail and "medium stolen" in detail
    assert not english_sentences(detail)


@pytest.fixture(scope="module")
def trust_time_world(tmp_path_factory):
    from tests.test_trust_time import world

    return world.__wrapped__(tmp_path_factory)

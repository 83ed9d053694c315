"""What the media, keys and directory commands print, in English and Japanese, compared with the catalog."""

from __future__ import annotations

import shutil

import pytest

from secxfer.chain import media
from secxfer.chain.inspect import FINDING_ENGLISH, SUMMARY_ENGLISH
from secxfer.cli import run
from secxfer.cli.i18n import catalog, set_language
from secxfer.errors import EXIT_INTEGRITY


def msg(name: str, lang: str, /, **values) -> str:
    text = catalog()[name][lang]
    return text.format(**values) if values else text


@pytest.fixture(autouse=True)
def _english_afterwards(english_afterwards):
    """Every test here may switch the language."""


@pytest.fixture
def cli(run_cli):
    return run_cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small national month: keys, key cards, the directory bundle and the media."""
    work = tmp_path_factory.mktemp("i18n-out") / "demo"
    assert run(["-q", "demo", "--workdir", str(work), "--municipalities", "2", "--rows", "40"]) == 0
    set_language("en")
    return work


def test_the_media_report_wording_in_the_catalog_is_the_librarys():
    for kind, english in FINDING_ENGLISH.items():
        assert catalog()[f"media.{kind}"]["en"] == english, kind
    assert catalog()["media.summary"]["en"] == SUMMARY_ENGLISH


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_media_verify_lines_and_summary(cli, demo, lang):
    medium = demo / "media" / "fed-13-to-mun-131016"
    (package,) = medium.glob("*.age")
    out, _ = cli("--lang", lang, "media", "verify", medium, "--directory", demo / "key-directory.json")
    assert out.splitlines() == [
        msg("media.ok", lang, where=f"{medium.name}/{package.name}", sender="fed-13", recipient="mun-131016"),
        msg("media.summary", lang, packages=1, failures=0),
    ]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_media_verify_failures_are_worded_in_the_language(cli, demo, tmp_path, lang):
    medium = tmp_path / "fed-13-to-mun-131016"
    shutil.copytree(demo / "media" / medium.name, medium)
    (package,) = medium.glob("*.age")
    (medium / f"{media.TEMP_PREFIX}half").write_bytes(b"x")
    (medium / "linked.age").symlink_to(package)
    package.unlink()
    out, err = cli("--lang", lang, "media", "verify", medium, "--directory", demo / "key-directory.json",
                   code=EXIT_INTEGRITY)
    lines = out.splitlines()
    assert msg("media.leftover", lang, where=f"{medium.name}/{media.TEMP_PREFIX}half") in lines
    assert msg("media.symlink", lang, where=f"{medium.name}/linked.age") in lines
    assert msg("media.missing", lang, where=f"{medium.name}/{package.name}") in lines
    assert lines[-1] == msg("media.summary", lang, packages=0, failures=3)
    assert ("不合格" in out) == (lang == "ja") and ("FAIL" in out) == (lang == "en")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_keys_generate_show_verify_in_the_language(cli, tmp_path, lang):
    from secxfer.trust.cards import card_fingerprint

    out, _ = cli("--lang", lang, "keys", "generate", "mun-131016", "--test-key", "--out", tmp_path)
    key, card = tmp_path / "mun-131016.key", tmp_path / "mun-131016.card"
    wrote, fingerprint_line = out.splitlines()
    assert wrote == msg("keys.wrote", lang, key_file=key, protection=msg("keys.protection_test", lang), card=card)
    from secxfer.cli.keys_cmd import read_card

    fingerprint = card_fingerprint(read_card(card))
    assert fingerprint_line == msg("keys.fingerprint", lang, fingerprint=fingerprint)

    out, _ = cli("--lang", lang, "keys", "show", card)
    lines = out.splitlines()
    assert lines[0].startswith(msg("keys.card.id", lang) + ":") and lines[0].endswith(" mun-131016")
    assert lines[-1].startswith(msg("keys.card.fingerprint", lang) + ":") and lines[-1].endswith(" " + fingerprint)
    # the values line up in one column, whatever the labels' widths
    from secxfer.cli._common import display_width

    values = [line.split(":", 1)[1].lstrip() for line in lines]
    assert len({display_width(line[: len(line) - len(value)]) for line, value in zip(lines, values)}) == 1

    out, _ = cli("--lang", lang, "keys", "verify", card, "--fingerprint", fingerprint.lower())
    assert out.strip() == msg("keys.verified", lang, participant="mun-131016", role="municipality",
                              fingerprint=fingerprint, confirmed=msg("keys.fingerprint_matches", lang))
    _, err = cli("--lang", lang, "keys", "age-identity", key)
    assert msg("keys.identity_warning", lang, participant="mun-131016") in err.splitlines()


def test_keys_show_in_english_is_the_librarys_card_description(cli, demo):
    from secxfer.cli.keys_cmd import read_card
    from secxfer.trust.render import describe_card

    card = demo / "keys" / "fed-13.card"
    out, _ = cli("--lang", "en", "keys", "show", card)
    assert out.splitlines() == describe_card(read_card(card))


def test_keys_add_pq_in_japanese(cli, demo, tmp_path):
    out, err = cli("--lang", "ja", "keys", "add-pq", demo / "keys" / "mun-131016.key", "--out", tmp_path)
    assert out.splitlines()[0] == msg("keys.wrote", "ja", key_file=tmp_path / "mun-131016.key",
                                      protection=msg("keys.protection_added_pq", "ja"), card=tmp_path / "mun-131016.card")
    assert out.splitlines()[1].startswith(msg("keys.fingerprint", "ja", fingerprint=""))


@pytest.fixture(scope="module")
def signed_directory(demo, tmp_path_factory):
    """The demo's signed directory on its own (the bundle holds it beside the roots)."""
    from secxfer.trust.store import read_bundle

    path = tmp_path_factory.mktemp("dir") / "directory.json"
    path.write_bytes(read_bundle((demo / "key-directory.json").read_bytes()).directory.encode())
    return path


def test_directory_show_in_english_is_the_librarys_table(cli, demo):
    from secxfer.trust.authoring import load_draft
    from secxfer.trust.directory.drafts import signature_count
    from secxfer.trust.render import describe_directory
    from secxfer.trust.store import read_bundle

    at = "2026-12-01T09:00:00+09:00"
    data = read_bundle((demo / "key-directory.json").read_bytes()).directory.encode()
    out, err = cli("--lang", "en", "directory", "show", demo / "key-directory.json", "--at", at)
    import datetime as dt

    expected = describe_directory(load_draft(data), at=dt.datetime.fromisoformat(at), signatures=signature_count(data)[2])
    assert out.splitlines() == expected and err.strip() == msg("directory.not_verified", "en")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_directory_show_headings_and_keys_in_the_language(cli, demo, lang):
    out, err = cli("--lang", lang, "directory", "show", demo / "key-directory.json")
    assert err.strip() == msg("directory.not_verified", lang)
    lines = out.splitlines()
    assert lines[0].startswith(msg("directory.headline", lang, version=1, root=1, signed="", issued="", expires="")[:8])
    assert msg("directory.signatures", lang, count=2) in lines[0]
    assert lines[2] == msg("directory.policy", lang, policy=msg("directory.policy_none", lang))
    header = lines[4].split()
    assert header[0] == msg("directory.col.id", lang) and header[-1] == msg("directory.col.name", lang)
    assert any(line.startswith("fed-13 ") for line in lines)

    out, _ = cli("--lang", lang, "directory", "show", demo / "key-directory.json", "--id", "fed-13")
    first, encryption, signing = out.splitlines()
    assert first.startswith("fed-13 federation ")
    assert encryption.endswith(" " + msg("directory.key_valid", lang)) and signing.endswith(" " + msg("directory.key_valid", lang))
    assert encryption.split()[0] == msg("directory.encryption_key", lang, label="", type="", key="", state="",
                                        revocation="").split()[0]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_directory_verify_import_status_in_the_language(cli, demo, signed_directory, tmp_path, lang):
    from secxfer.trust.authoring import load_draft

    directory = load_draft(signed_directory.read_bytes())
    expires = directory.expires.isoformat()
    out, _ = cli("--lang", lang, "directory", "verify", signed_directory, "--root", demo / "keys" / "root.json")
    assert out.strip() == msg("directory.verified", lang, version=1, root=1, participants=len(directory.participants),
                              expires=expires)

    home = tmp_path / "home"
    out, _ = cli("--lang", lang, "directory", "import", demo / "key-directory.json", "--root", demo / "keys" / "root.json",
                 "--home", home)
    lines = out.splitlines()
    assert lines[0].startswith(msg("directory.pinned", lang, version=1, fingerprint="", store="")[:6])
    assert str(home) in lines[0]
    assert lines[-1] == msg("directory.trusted", lang, root=1, version=1, expires=expires)

    out, _ = cli("--lang", lang, "directory", "status", "--home", home)
    lines = out.splitlines()
    assert lines[0].startswith(msg("directory.store", lang, folder=""))
    assert lines[1].startswith(msg("directory.root", lang, version=1, threshold=2, keys=3, expires=""))
    assert lines[2:] == [msg("directory.highest_seen", lang, version=1),
                         msg("directory.current", lang, version=1, expires=expires)]


def test_directory_changes_in_english_are_the_librarys(signed_directory):
    import datetime as dt

    import msgspec

    from secxfer.cli.directory_messages import changes_lines
    from secxfer.trust.authoring import (
        load_draft,
        next_version,
        require_hybrid_encryption,
        revoke_key,
    )
    from secxfer.trust.render import describe_changes

    old = load_draft(signed_directory.read_bytes())
    now = old.issued + dt.timedelta(days=1)
    later = require_hybrid_encryption(next_version(old, issued=now, expires=now + dt.timedelta(days=90)), "municipality",
                                      from_version=2)
    fed = later.participant("fed-13")
    revoked = revoke_key(later, "fed-13", fed.encryption_keys[0].key, at=now, reason="medium lost\x1b[2J")
    renamed = msgspec.structs.replace(revoked, participants=tuple(
        msgspec.structs.replace(p, name="新しい名前") if p.id == "central" else p
        for p in revoked.participants if p.id != "mun-131016"))
    for before, after in ((None, old), (old, old), (old, later), (later, revoked), (old, renamed)):
        assert changes_lines(before, after) == describe_changes(before, after)
    assert len(changes_lines(old, renamed)) >= 5


def test_the_key_ceremony_in_japanese(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    people = ("root-1", "root-2", "fed-13", "mun-131016")
    for pid in people:
        cli("keys", "generate", pid, "--test-key", "--out", "keys")
    roots = ["--root", "keys/root-1.card", "--root", "keys/root-2.card"]
    out, _ = cli("--lang", "ja", "directory", "init", *roots, "--threshold", "2", "--out", "dir.json")
    lines = out.splitlines()
    assert msg("directory.wrote_root_draft", "ja", path="root.json") in lines
    assert msg("directory.draft_saved", "ja", path="dir.json", version=1, participants=2) in lines
    assert lines[-1] == msg("directory.next_sign", "ja", root="root.json", directory="dir.json")

    out, _ = cli("--lang", "ja", "directory", "add", "dir.json", "keys/fed-13.card")
    assert msg("directory.change.added", "ja", participant="fed-13", name="東京都国民健康保険団体連合会") in out
    fingerprint = cli("keys", "verify", "keys/mun-131016.card")[0].split("fingerprint ")[1].strip()
    out, _ = cli("--lang", "ja", "directory", "enroll", "keys/mun-131016.card", "--key", "keys/fed-13.key",
                 "--fingerprint", fingerprint)
    assert out.strip() == msg("directory.enrolled", "ja", target="mun-131016.enrollment", federation="fed-13",
                              participant="mun-131016", name="千代田区", consent=msg("directory.no_consent", "ja"))
    out, _ = cli("--lang", "ja", "directory", "add", "dir.json", "mun-131016.enrollment")
    assert msg("directory.change.enrollments", "ja", old=0, new=1) in out.splitlines()
    out, _ = cli("--lang", "ja", "directory", "consent", "dir.json", "mun-131016", "--filed", "2021-10-01",
                 "--key", "keys/fed-13.key")
    assert "mun-131016: " + msg("directory.change.consent", "ja", old="-", new="2021-10-01..") in out.splitlines()
    out, _ = cli("--lang", "ja", "directory", "policy", "dir.json")
    assert out.strip() == msg("directory.policy", "ja", policy=msg("directory.policy_none", "ja"))

    for doc in ("root.json", "dir.json"):
        for holder in ("root-1", "root-2"):
            out, _ = cli("--lang", "ja", "directory", "sign", doc, "--key", f"keys/{holder}.key")
            assert out.splitlines()[-1] == msg("directory.wrote_signature", "ja", target=f"{doc}.{holder}.sig", file=doc)
            assert msg("directory.signed", "ja", kind="", fingerprint="", signer=holder).split("として")[0] in out
        out, _ = cli("--lang", "ja", "directory", "combine", doc, f"{doc}.root-1.sig", f"{doc}.root-2.sig")
        assert out.strip().startswith(msg("directory.combined", "ja", target=doc, kind="", count=2).split(":")[0])
    out, _ = cli("--lang", "ja", "directory", "bump", "dir.json", "--out", "dir2.json")
    assert out.strip().startswith(msg("directory.bumped", "ja", out="dir2.json", version=2, old=1, expires=""))
    out, _ = cli("--lang", "ja", "directory", "revoke", "dir2.json", "fed-13", "--key",
                 cli("keys", "age-recipient", "keys/fed-13.card")[0].strip(), "--reason", "媒体紛失")
    assert any(line.startswith("fed-13: 暗号化鍵を ") and line.endswith("(媒体紛失)") for line in out.splitlines())


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_age_keygen_note_and_inspect_in_the_language(cli, tmp_path, lang):
    out, _ = cli("--lang", lang, "age", "keygen", "-o", tmp_path / "me.key")
    recipient = out.strip()
    (tmp_path / "plain.txt").write_bytes(b"rows")
    cli("age", "encrypt", "-r", recipient, "-o", tmp_path / "plain.txt.age", tmp_path / "plain.txt")
    out, _ = cli("--lang", lang, "age", "inspect", tmp_path / "plain.txt.age")
    from secxfer.age import read_header

    with open(tmp_path / "plain.txt.age", "rb") as handle:
        header = read_header(handle)
    (stanza,) = header.stanzas
    assert out.splitlines() == [
        msg("age.inspect_header", lang, size=header.size, stanzas=1),
        msg("age.inspect_stanza", lang, number=1, type="'X25519'", args=len(stanza.args), body=len(stanza.body)),
    ]


def test_age_keygen_public_key_note_in_japanese(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "secxfer", "age", "keygen"], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "LANG": "ja_JP.UTF-8"}, check=True)
    recipient = next(line for line in done.stdout.splitlines() if line.startswith("# public key: ")).split(": ")[1]
    assert done.stderr.strip() == msg("age.public_key", "ja", recipient=recipient)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_inspect_states_the_unverified_outer_statement_in_the_language(cli, demo, tmp_path, lang):
    from secxfer.chain.manifest import decode_outer
    from secxfer.trust.signing import SignedDocument

    medium = demo / "media" / "fed-13-to-mun-131016"
    (package,) = medium.glob("*.age")
    outer = decode_outer(SignedDocument.decode((medium / f"{package.name}.sig").read_bytes()).payload)
    out, _ = cli("--lang", lang, "inspect", package)
    assert out.splitlines() == [
        msg("inspect.file", lang, name=package.name), msg("inspect.size", lang, size=package.stat().st_size),
        msg("inspect.stanzas", lang, count=1, types="X25519"), msg("inspect.outer", lang),
        msg("inspect.route", lang, sender="fed-13", recipient="mun-131016"),
        msg("inspect.period", lang, period=outer.period, rehearsal=""),
        msg("inspect.package", lang, package_id=outer.package_id, created=outer.created.isoformat()),
    ]
    alone = tmp_path / package.name
    shutil.copy(package, alone)
    out, _ = cli("--lang", lang, "inspect", alone)
    reason = (f"no outer signature '{alone.name}.sig' beside '{alone.name}'" if lang == "en" else
              f"{alone.name} の横に外側の署名ファイル {alone.name}.sig がありません。"
              "パッケージと一緒に届いた .sig ファイルを同じフォルダにコピーしてください")
    assert out.splitlines()[-1] == msg("inspect.unavailable", lang, reason=reason)


def test_inspect_shows_a_forged_outer_statement_escaped(cli, demo, tmp_path):
    """Anyone can write the .sig beside a package: what inspect shows of it cannot steer the terminal."""
    import msgspec

    from secxfer.chain.manifest import OUTER_KIND, decode_outer, encode
    from secxfer.trust.signing import SignedDocument

    medium = demo / "media" / "fed-13-to-mun-131016"
    (package,) = medium.glob("*.age")
    genuine = decode_outer(SignedDocument.decode((medium / f"{package.name}.sig").read_bytes()).payload)
    forged = msgspec.structs.replace(genuine, sender="\x1b]0;owned\x07fed-13", period="2026-11\r\nOK all good")
    copy = tmp_path / package.name
    shutil.copy(package, copy)
    (tmp_path / f"{package.name}.sig").write_bytes(SignedDocument(kind=OUTER_KIND, payload=encode(forged)).encode())
    out, _ = cli("--lang", "ja", "inspect", copy)
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "OK all good" in out and len(out.splitlines()) == 7

"""``secxfer keys`` and ``secxfer directory``: a whole key ceremony through the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from secxfer.errors import EXIT_INTEGRITY, EXIT_USAGE


@pytest.fixture
def cli(run_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECXFER_HOME", str(tmp_path / "home"))
    return run_cli


PARTICIPANTS = ("root-1", "root-2", "root-3", "agency", "central", "fed-13", "fed-27", "mun-131016", "mun-271004")


def _fingerprint(cli, card):
    out, _ = cli("keys", "verify", card)
    return re.search(r"fingerprint (\S+)", out).group(1)


def test_whole_ceremony(cli, tmp_path):
    for pid in PARTICIPANTS:
        out, _ = cli("keys", "generate", pid, "--test-key", "--out", "keys")
        assert re.search(r"fingerprint: ([0-9A-Z]{4}-){4}[0-9A-Z]{4}", out)
    roots = [a for r in ("root-1", "root-2", "root-3") for a in ("--root", f"keys/{r}.card")]
    out, _ = cli("directory", "init", *roots, "--threshold", "2", "--out", "dir.json")
    assert "root v1: 2 of 3 keys" in out and "dir.json: draft v1, 3 participants, unsigned" in out
    cli("directory", "init", *roots, "--threshold", "2", "--out", "dir.json", code=1)  # never overwrites
    out, _ = cli("directory", "add", "dir.json", *(f"keys/{p}.card" for p in ("agency", "central", "fed-13", "fed-27")))
    assert "added fed-13 (東京都国民健康保険団体連合会)" in out

    fp = _fingerprint(cli, "keys/mun-131016.card")
    out, err = cli("directory", "enroll", "keys/mun-131016.card", "--key", "keys/fed-13.key", "--fingerprint", fp, "--filed", "2020-04-01")
    assert "fed-13 enrolls mun-131016 (千代田区), consent filed 2020-04-01" in out and "TEST KEY" in err
    fp = _fingerprint(cli, "keys/mun-271004.card")
    _, err = cli("directory", "enroll", "keys/mun-271004.card", "--key", "keys/fed-13.key", "--fingerprint", fp, code=EXIT_INTEGRITY)
    assert "fed-13 may not enroll mun-271004" in err and not (tmp_path / "mun-271004.enrollment").exists()
    _, err = cli("directory", "enroll", "keys/mun-271004.card", "--key", "keys/fed-27.key", "--fingerprint", "AAAA-AAAA", code=EXIT_INTEGRITY)
    assert "fingerprint" in err and not (tmp_path / "mun-271004.enrollment").exists()
    cli("directory", "enroll", "keys/mun-271004.card", "--key", "keys/fed-27.key", "--fingerprint", fp.lower())
    out, _ = cli("directory", "add", "dir.json", "mun-131016.enrollment", "mun-271004.enrollment")
    assert "added mun-271004 (大阪市)" in out and "enrollments 0 -> 2" in out
    out, _ = cli("directory", "consent", "dir.json", "mun-271004", "--filed", "2021-10-01", "--key", "keys/fed-27.key")
    assert "mun-271004: consent - -> 2021-10-01.." in out

    for doc in ("root.json", "dir.json"):
        for holder in ("root-1", "root-3"):
            out, _ = cli("directory", "sign", doc, "--key", f"keys/{holder}.key")
            assert f"as {holder}" in out
    _, err = cli("directory", "verify", "dir.json", "--root", "root.json", code=EXIT_INTEGRITY)
    assert "0 valid signature" in err  # not combined yet
    cli("directory", "combine", "root.json", "root.json.root-1.sig", "root.json.root-3.sig")
    out, _ = cli("directory", "combine", "dir.json", "dir.json.root-1.sig", "dir.json.root-3.sig")
    assert "with 2 signature(s)" in out
    out, _ = cli("directory", "verify", "dir.json", "--root", "root.json")
    assert out.startswith("OK: key directory v1 under root v1, 9 participants")

    out, err = cli("directory", "show", "dir.json")
    assert "not verified" in err
    assert re.search(r"mun-271004\s+municipality 271004 fed-27\s+2021-10-01\.\.\s+2/2\s+大阪市", out)
    out, _ = cli("directory", "show", "dir.json", "--id", "mun-131016")
    assert "encryption main" in out and "age1" in out

    out, _ = cli("directory", "import", "dir.json", "--root", "root.json")
    assert "pinned root v1" in out and "trusted: root v1, key directory v1" in out
    out, _ = cli("directory", "import", "dir.json")
    assert "no change" in out
    out, _ = cli("directory", "status")
    assert "newest key directory seen: v1" in out

    # editing a published version is refused; the next version revokes a key
    cli("directory", "add", "dir.json", "keys/agency.card", code=EXIT_USAGE)
    cli("directory", "bump", "dir.json", "--out", "dir2.json")
    recipient, _ = cli("keys", "age-recipient", "keys/mun-131016.card")
    out, _ = cli("directory", "revoke", "dir2.json", "mun-131016", "--key", recipient.strip(), "--reason", "medium lost", "--at", "2025-03-02T10:00")
    assert "encryption key revoked from 2025-03-02T10:00:00+09:00, compromise (medium lost)" in out
    for holder in ("root-1", "root-2"):
        cli("directory", "sign", "dir2.json", "--key", f"keys/{holder}.key")
    cli("directory", "combine", "dir2.json", "dir2.json.root-1.sig", "dir2.json.root-2.sig")
    out, _ = cli("directory", "import", "dir2.json")
    assert "version 1 -> 2" in out
    _, err = cli("directory", "import", "dir.json", code=EXIT_INTEGRITY)
    assert "older than v2" in err


def test_keys_commands_with_a_passphrase(cli, tmp_path, monkeypatch):
    read, write = os.pipe()
    os.write(write, b"a long passphrase\n")
    os.close(write)
    out, _ = cli("keys", "generate", "fed-13", "--out", "k", "--passphrase-fd", read)
    os.close(read)
    assert "passphrase-protected" in out
    assert "AGE-SECRET-KEY" not in (tmp_path / "k" / "fed-13.key").read_text().upper()
    cli("keys", "generate", "fed-13", "--out", "k", "--test-key", code=1)  # no overwrite without --force
    monkeypatch.setenv("SECXFER_PASSPHRASE", "not the passphrase")
    _, err = cli("keys", "age-identity", "k/fed-13.key", code=EXIT_INTEGRITY)
    assert "passphrase does not open" in err
    monkeypatch.setenv("SECXFER_PASSPHRASE", "a long passphrase")
    out, err = cli("keys", "age-identity", "k/fed-13.key")
    assert out.startswith("AGE-SECRET-KEY-1") and "keep it secret" in err
    shown, _ = cli("keys", "show", "k/fed-13.card")
    assert "東京都国民健康保険団体連合会" in shown and "fingerprint:" in shown


def test_bad_ids_roles_and_cards(cli, tmp_path):
    _, err = cli("keys", "generate", "mun-131017", "--test-key", code=EXIT_USAGE)
    assert "check digit" in err
    cli("keys", "generate", "agency", "--role", "central", "--test-key", code=EXIT_USAGE)
    cli("keys", "generate", "agency", "--test-key")
    _, err = cli("keys", "verify", "agency.card", "--fingerprint", "0000-0000-0000-0000-0000", code=EXIT_INTEGRITY)
    assert "not 0000" in err
    document = json.loads((tmp_path / "agency.card").read_text())
    document["signatures"][0]["sig"] = document["signatures"][0]["sig"][::-1]
    (tmp_path / "tampered.card").write_text(json.dumps(document, separators=(",", ":")))
    _, err = cli("keys", "show", "tampered.card", code=EXIT_INTEGRITY)
    assert "invalid" in err or "malformed" in err
    cli("keys", "show", "missing.card", code=1)


def test_cards_and_keys_work_with_stock_age(cli, tmp_path, age_binary):
    cli("keys", "generate", "mun-131016", "--test-key")
    recipient, _ = cli("keys", "age-recipient", "mun-131016.card")
    identity, _ = cli("keys", "age-identity", "mun-131016.key")
    (tmp_path / "id.txt").write_text(identity)
    sealed = subprocess.run([age_binary, "-r", recipient.strip()], input=b"secret rows", capture_output=True, check=True).stdout
    opened = subprocess.run([age_binary, "-d", "-i", "id.txt"], input=sealed, capture_output=True, check=True, cwd=tmp_path)
    assert opened.stdout == b"secret rows"


def test_excerpts_through_the_cli(cli, tmp_path):
    from secxfer.trust.store import TrustStore

    example = Path(__file__).resolve().parent.parent / "keys-example"
    excerpt, full, root = example / "directory-excerpt-mun-131016.json", example / "directory.json", example / "root.json"
    shown, _ = cli("directory", "show", excerpt)
    assert "EXCERPT" in shown and "mun-131016" in shown and "mun-141003" not in shown
    out, _ = cli("directory", "verify", excerpt, "--root", root)
    assert out.startswith("OK: key directory v1") and "4 participants" in out
    home = tmp_path / "h"
    cli("directory", "import", excerpt, "--root", root, "--home", home)
    assert TrustStore(home).load().directory.is_excerpt
    out, _ = cli("directory", "import", full, "--home", home)
    assert "only the entries present in both" in out and not TrustStore(home).load().directory.is_excerpt
    out, _ = cli("directory", "import", excerpt, "--home", home)  # the full one stays
    assert "no change" in out and not TrustStore(home).load().directory.is_excerpt
    table, _ = cli("directory", "show", example / "trust-bundle.json")
    assert "mun-141003" in table and "EXCERPT" not in table
    _, err = cli("directory", "bump", excerpt, "--out", tmp_path / "v2.json", code=EXIT_USAGE)
    assert "excerpt" in err

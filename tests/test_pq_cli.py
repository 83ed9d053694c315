"""The post-quantum commands: keys generate --pq, keys add-pq, directory policy, demo --pq."""

from __future__ import annotations

import base64
import json
import re

import pytest

from secxfer.errors import EXIT_INTEGRITY, EXIT_USAGE


@pytest.fixture
def cli(run_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECXFER_HOME", str(tmp_path / "home"))
    return run_cli


def _fingerprint(cli, card):
    out, _ = cli("keys", "verify", card)
    return re.search(r"fingerprint (\S+)", out).group(1)


def _enroll(cli, card, out):
    fp = _fingerprint(cli, card)
    cli("directory", "enroll", card, "--key", "keys/fed-13.key", "--fingerprint", fp, "--filed", "2020-04-01", "--out", out)


def _sign(cli, draft, code=0):
    for holder in ("root-1", "root-2"):
        cli("directory", "sign", draft, "--key", f"keys/{holder}.key", code=code)


def test_a_ceremony_with_hybrid_keys_and_a_policy(cli, tmp_path):
    for pid in ("root-1", "root-2"):
        cli("keys", "generate", pid, "--test-key", "--out", "keys")
    for pid in ("agency", "central", "fed-13"):
        out, _ = cli("keys", "generate", pid, "--test-key", "--pq", "--out", "keys")
        assert "post-quantum hybrid" in out
    cli("keys", "generate", "mun-131016", "--test-key", "--out", "keys")
    out, _ = cli("keys", "age-recipient", "keys/fed-13.card")
    assert out.startswith("age1pq1") and len(out.strip()) > 1900
    out, _ = cli("keys", "show", "keys/fed-13.card")
    assert "encryption key: age1pq1" in out

    cli("directory", "init", "--root", "keys/root-1.card", "--root", "keys/root-2.card", "--threshold", "2", "--out", "dir.json")
    cli("directory", "add", "dir.json", "keys/agency.card", "keys/central.card", "keys/fed-13.card")
    _enroll(cli, "keys/mun-131016.card", "mun-131016.enrollment")
    cli("directory", "add", "dir.json", "mun-131016.enrollment")
    out, _ = cli("directory", "policy", "dir.json", "--require-hybrid", "municipality", "--require-hybrid", "Federation")
    assert "required for federation from v1, municipality from v1" in out
    cli("directory", "policy", "dir.json", "--require-hybrid", "ward", code=EXIT_USAGE)
    _, err = cli("directory", "sign", "dir.json", "--key", "keys/root-1.key", code=EXIT_INTEGRITY)
    assert "mun-131016 lists none" in err and not (tmp_path / "dir.json.root-1.sig").exists()

    # the municipality adds a hybrid key beside its X25519 one; its federation enrolls the new card
    out, _ = cli("keys", "add-pq", "keys/mun-131016.key", "--out", "keys2")
    assert "X25519 and post-quantum hybrid" in out
    out, _ = cli("keys", "age-recipient", "keys2/mun-131016.card")
    classic, post_quantum = out.split()
    assert classic.startswith("age1") and not classic.startswith("age1pq1") and post_quantum.startswith("age1pq1")
    out, _ = cli("keys", "age-identity", "keys2/mun-131016.key")
    assert [line.split("1")[0] for line in out.split()] == ["AGE-SECRET-KEY-PQ-", "AGE-SECRET-KEY-"]
    _enroll(cli, "keys2/mun-131016.card", "mun-131016-pq.enrollment")
    out, _ = cli("directory", "add", "dir.json", "mun-131016-pq.enrollment")
    assert "mun-131016: encryption key added (main, mlkem768x25519)" in out

    _sign(cli, "dir.json")
    cli("directory", "combine", "dir.json", "dir.json.root-1.sig", "dir.json.root-2.sig")
    _sign(cli, "root.json")
    cli("directory", "combine", "root.json", "root.json.root-1.sig", "root.json.root-2.sig")
    out, _ = cli("directory", "verify", "dir.json", "--root", "root.json")
    assert out.startswith("OK: key directory v1")
    out, _ = cli("directory", "show", "dir.json", "--id", "mun-131016")
    assert re.search(r"encryption main +mlkem768x25519 age1pq1\S+ valid", out)
    out, _ = cli("directory", "show", "dir.json")
    assert "policy: hybrid (mlkem768x25519) encryption keys required for federation from v1, municipality from v1" in out

    out, _ = cli("directory", "bump", "dir.json", "--out", "v2.json", "--require-hybrid", "agency")
    assert "agency from v2" in out
    out, _ = cli("directory", "policy", "v2.json", "--drop", "federation")
    assert "agency from v2, municipality from v1" in out
    header = json.loads(base64.b64decode(json.loads((tmp_path / "v2.json").read_bytes())["header"]["payload"]))
    assert header["policy"] == {"hybrid_encryption": [{"role": "agency", "from_version": 2}, {"role": "municipality", "from_version": 1}]}


def test_demo_pq_summary_names_the_type(cli, tmp_path):
    out, err = cli("demo", "--workdir", "d", "--pq", "--municipalities", "3", "--rows", "40")
    assert "post-quantum hybrid keys" in out and "reconciled     yes" in out
    summary = json.loads((tmp_path / "d" / "demo-summary.json").read_text())
    assert summary["encryption"] == "mlkem768x25519" and summary["reconciled"]
    assert "secxfer age decrypt" in out

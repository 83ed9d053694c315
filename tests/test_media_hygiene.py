"""Media hygiene: nothing on a medium is followed or opened unless it is a regular file.

Attacks found against earlier versions: a failure receipt for a linked package signed
the hash of whatever the link pointed to; ``media verify`` hung forever on a named pipe
called ``*.age`` with a genuine ``.sig`` beside it, and stopped with exit 1 and no
report on a folder called ``*.age``; a renamed package whose signatures all verify was
reported as tampering (exit 3).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secxfer.chain import media
from secxfer.chain.inspect import verify_media
from secxfer.errors import EXIT_INTEGRITY, EXIT_OPERATIONAL, FormatError, IntegrityError

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
ME = "mun-131016"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    from secxfer.chain.relay import relay_without_trail as relay
    from secxfer.chain.seal import seal_without_trail as seal
    from secxfer.domain.sample import generate_sample
    from secxfer.testing.network import build_network

    root = tmp_path_factory.mktemp("hygiene")
    net = build_network(root / "net", insurer_codes=["131016", "131024"], now=NOW)
    pristine = root / "pristine"
    shutil.copytree(net.workdir / "homes", pristine)
    sample = generate_sample(root / "source", period="2026-10", rows=30, seed=4, insurers=["131016", "131024"])
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k, homes, out = net.secrets, net.workdir / "homes", root / "media"
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency", out=out, now=NOW)
    central = relay(sealed.package.path, key=k["central"], home=homes / "central", out=out, now=NOW)
    fed_pkg = next(p.path for p in central.outputs if p.recipient == "fed-13")
    fed = relay(fed_pkg, key=k["fed-13"], home=homes / "fed-13", out=out, now=NOW)
    return net, pristine, next(p.path for p in fed.outputs if p.recipient == ME)


def _home(pristine: Path, pid: str, where: Path) -> Path:
    shutil.copytree(pristine / pid, where / f"home-{pid}")
    return where / f"home-{pid}"


def _medium(package: Path, where: Path) -> Path:
    medium = where / "usb" / package.parent.name
    shutil.copytree(package.parent, medium)
    return medium


# -- failure receipts never follow a link ----------------------------------------------


def test_a_failure_receipt_for_a_linked_package_signs_no_hash_of_its_target(chain, tmp_path):
    from secxfer.ledger.evidence import trusted_directory
    from secxfer.ledger.receipts import failure_receipt

    net, pristine, package = chain
    home = _home(pristine, ME, tmp_path)
    elsewhere = tmp_path / "elsewhere.bin"
    elsewhere.write_bytes(b"a file elsewhere on this machine")
    link = tmp_path / package.name
    link.symlink_to(elsewhere)
    shutil.copy(str(package) + media.SIDECAR_SUFFIX, str(link) + media.SIDECAR_SUFFIX)
    receipt = failure_receipt(link, IntegrityError("link"), issuer=ME, action="open",
                              directory=trusted_directory(home, NOW), now=NOW)
    assert receipt.encrypted_sha256 == b"" and not receipt.claims_verified
    assert receipt.sender == "fed-13" and receipt.file_name == package.name
    # a link to the genuine package is not "verified" through the link either
    link.unlink()
    link.symlink_to(package)
    receipt = failure_receipt(link, IntegrityError("link"), issuer=ME, action="open",
                              directory=trusted_directory(home, NOW), now=NOW)
    assert receipt.encrypted_sha256 == b"" and not receipt.claims_verified


def test_open_of_a_linked_package_through_the_cli_records_no_target_hash(chain, tmp_path, run_cli):
    from secxfer.ledger.evidence import trusted_directory
    from secxfer.ledger.reconcile import load_evidence

    net, pristine, package = chain
    home = _home(pristine, ME, tmp_path)
    link = tmp_path / "m" / package.name
    link.parent.mkdir()
    link.symlink_to(package)
    shutil.copy(str(package) + media.SIDECAR_SUFFIX, str(link) + media.SIDECAR_SUFFIX)
    _, err = run_cli("open", link, "--key", net.key_path(ME), "--home", home, "--out", tmp_path / "out",
                     code=EXIT_INTEGRITY)
    assert "symbolic link" in err and not (tmp_path / "out").exists()
    (receipt,) = load_evidence(home, "2026-10", trusted_directory(home, NOW), now=NOW).receipts
    assert receipt.disposition == "integrity-failed" and receipt.encrypted_sha256 == b""


# -- media verify: odd entries are findings, never opened --------------------------------


def test_a_named_pipe_called_age_with_a_genuine_signature_does_not_hang_media_verify(chain, tmp_path):
    """Run as a real process with a timeout: before, the check blocked forever on the pipe."""
    net, pristine, package = chain
    home = _home(pristine, ME, tmp_path)
    medium = _medium(package, tmp_path)
    fifo = medium / package.name
    fifo.unlink()
    os.mkfifo(fifo)
    (medium / "README").unlink(missing_ok=True)
    os.mkfifo(medium / "notes.txt")
    result = subprocess.run([sys.executable, "-m", "secxfer", "media", "verify", str(medium), "--home", str(home)],
                            capture_output=True, text=True, timeout=120, cwd=REPO, stdin=subprocess.DEVNULL,
                            env={**os.environ, "LANG": "C"})
    assert result.returncode == EXIT_INTEGRITY, result.stderr
    assert f"FAIL {medium.name}/{package.name}: a named pipe (not opened)" in result.stdout
    assert f"FAIL {medium.name}/notes.txt: a named pipe (not opened)" in result.stdout
    assert "problem(s)" in result.stdout


def test_a_folder_called_age_is_a_finding_and_the_report_completes(chain, tmp_path, run_cli):
    net, pristine, package = chain
    home = _home(pristine, ME, tmp_path)
    medium = _medium(package, tmp_path)
    (medium / "2026-10_fed-13_to_mun-131016_deadbeef.age").mkdir()
    (medium / "sub").mkdir()
    out, err = run_cli("media", "verify", medium, "--home", home, code=EXIT_INTEGRITY)
    assert f"FAIL {medium.name}/2026-10_fed-13_to_mun-131016_deadbeef.age: a folder" in out
    assert f"FAIL {medium.name}/sub: a folder" in out
    assert f"ok   {medium.name}/{package.name} (fed-13 -> {ME})" in out
    assert "1 package(s) checked, 2 problem(s)" in out and "2 problem(s) on" in err


def test_odd_entries_in_a_tree_of_media_are_reported_by_name(chain, tmp_path):
    net, pristine, package = chain
    home = _home(pristine, ME, tmp_path)
    medium = _medium(package, tmp_path)
    os.mkfifo(medium.parent / "stray-pipe")
    report = verify_media(medium.parent, home=home)
    assert [(f.kind, f.where) for f in report.findings if not f.ok] == [("pipe", "stray-pipe")]


def test_a_medium_file_that_is_a_pipe_is_refused_before_it_is_opened(chain, tmp_path, monkeypatch):
    fifo = tmp_path / "x.age"
    os.mkfifo(fifo)
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *a, **k: opened.append(path) or real_open(path, *a, **k))
    with pytest.raises(FormatError, match="is a named pipe, not a regular file; it was not opened"):
        media.open_package_file(fifo)
    (tmp_path / "d.age").mkdir()
    with pytest.raises(FormatError, match="is a folder"):
        media.file_sha256(tmp_path / "d.age")
    assert opened == []


def test_without_o_nofollow_links_are_still_refused_and_a_swap_is_caught(chain, tmp_path, monkeypatch):
    """Windows has no O_NOFOLLOW: lstat decides first, and the file opened must be the one lstat saw."""
    _, _, package = chain
    link = tmp_path / "link.age"
    link.symlink_to(package)
    monkeypatch.delattr(os, "O_NOFOLLOW", raising=False)
    with pytest.raises(IntegrityError, match="symbolic link"):
        media.open_package_file(link)
    decoy = tmp_path / "decoy.age"
    decoy.write_bytes(b"decoy")
    real_lstat = os.lstat
    # a link swapped in after the lstat: lstat saw the decoy, the open follows to the package
    monkeypatch.setattr(os, "lstat", lambda path, *a, **k: real_lstat(decoy) if Path(path) == link else real_lstat(path))
    with pytest.raises(FormatError, match="changed while it was being opened"):
        media.open_package_file(link)


def test_inspect_never_opens_a_pipe(chain, tmp_path, run_cli):
    fifo = tmp_path / "x.age"
    os.mkfifo(fifo)
    _, err = run_cli("inspect", fifo, code=EXIT_INTEGRITY)
    assert "named pipe" in err


# -- a renamed package is recognised by its contents -------------------------------------


def test_a_renamed_package_and_signature_are_reported_as_renamed_exit_1(chain, tmp_path, run_cli):
    net, pristine, package = chain
    home = _home(pristine, ME, tmp_path)
    medium = _medium(package, tmp_path)
    new = medium / "copy-for-city-hall.age"
    (medium / package.name).rename(new)
    (medium / (package.name + media.SIDECAR_SUFFIX)).rename(str(new) + media.SIDECAR_SUFFIX)
    report = verify_media(medium, home=home)
    assert report.failures == 0 and report.renamed == 1 and not report.ok
    out, err = run_cli("media", "verify", medium, "--home", home, code=EXIT_OPERATIONAL)
    assert f"RENAMED {medium.name}/copy-for-city-hall.age: intact, but signed as {package.name}" in out
    assert "missing" not in out and "FAIL" not in out
    assert "1 package(s) renamed" in out and "rename each package" in err


def test_a_renamed_package_whose_signature_kept_its_name_is_found_by_its_hash(chain, tmp_path, run_cli):
    net, pristine, package = chain
    home = _home(pristine, ME, tmp_path)
    medium = _medium(package, tmp_path)
    (medium / package.name).rename(medium / "renamed.age")
    out, _ = run_cli("media", "verify", medium, "--home", home, code=EXIT_OPERATIONAL)
    assert f"RENAMED {medium.name}/renamed.age: intact, but signed as {package.name}" in out and "FAIL" not in out


def test_renamed_and_altered_is_still_tampering(chain, tmp_path, run_cli):
    net, pristine, package = chain
    home = _home(pristine, ME, tmp_path)
    medium = _medium(package, tmp_path)
    new = medium / "renamed.age"
    data = bytearray((medium / package.name).read_bytes())
    data[-1] ^= 1
    new.write_bytes(bytes(data))
    (medium / package.name).unlink()
    (medium / (package.name + media.SIDECAR_SUFFIX)).rename(str(new) + media.SIDECAR_SUFFIX)
    out, _ = run_cli("media", "verify", medium, "--home", home, code=EXIT_INTEGRITY)
    assert "not the file its sender signed" in out and "RENAMED" not in out


def test_media_verify_in_japanese_names_odd_entries_and_renames(chain, tmp_path, run_cli, english_afterwards):
    net, pristine, package = chain
    home = _home(pristine, ME, tmp_path)
    medium = _medium(package, tmp_path)
    (medium / package.name).rename(medium / "renamed.age")
    out, err = run_cli("--lang", "ja", "media", "verify", medium, "--home", home, code=EXIT_OPERATIONAL)
    assert "名前変更" in out and "署名された名前" in out and "名前が変更されています" in err
    os.mkfifo(medium / "pipe.age")
    out, _ = run_cli("--lang", "ja", "media", "verify", medium, "--home", home, code=EXIT_INTEGRITY)
    assert "名前付きパイプ(開かない)" in out


def test_a_windows_junction_or_any_reparse_point_counts_as_a_link():
    """lstat reports a junction as a folder with a reparse tag; it must never be walked into."""
    import stat
    from types import SimpleNamespace

    junction = SimpleNamespace(st_mode=stat.S_IFDIR | 0o755, st_reparse_tag=0xA0000003)  # IO_REPARSE_TAG_MOUNT_POINT
    assert media.entry_kind(junction) == "symlink"
    assert media.entry_kind(SimpleNamespace(st_mode=stat.S_IFDIR | 0o755, st_reparse_tag=0)) == "folder"
    assert media.entry_kind(SimpleNamespace(st_mode=stat.S_IFREG | 0o644)) == "file"

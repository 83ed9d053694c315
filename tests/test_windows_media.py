"""Windows PCs and FAT32/exFAT media: names, text-mode descriptors, locks, folder fsync,
scratch files, the home folder, and files a text editor re-saved (BOM, CRLF).

Windows is simulated on Linux by taking away what it lacks (``os.pread``, ``fcntl``,
opening a folder) and giving what it has (``os.O_BINARY``, ``msvcrt.locking``, named
temporary files): a whole demo month then runs through that simulation.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import types
from pathlib import Path

import pytest

from secxfer import fsutil
from secxfer.chain.home import ChainHome
from secxfer.errors import FormatError, TextEditedError

REPO = Path(__file__).resolve().parent.parent
KEYS_EXAMPLE = REPO / "keys-example"
BOM = b"\xef\xbb\xbf"
BINARY_MARK = 0x8000  # os.O_BINARY's value on Windows; stripped again before Linux sees it

# -- the portable-name rules (FAT32, exFAT, NTFS through the Win32 API) ----------------

RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def portable_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a file or folder name on Windows or FAT/exFAT media, or None."""
    if not name or name in (".", ".."):
        return "empty or a dot name"
    if FORBIDDEN.search(name):
        return "a character Windows and FAT forbid"
    if name[-1] in ". ":
        return "ends in a dot or space"
    if name.split(".")[0].rstrip(" ").upper() in RESERVED:
        return "a reserved device name"
    if len(name.encode("utf-16-le")) // 2 > 255:
        return "longer than 255 UTF-16 units"
    return None


def case_collisions(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    return [f"{seen[n.lower()]} / {n}" for n in names if seen.setdefault(n.lower(), n) != n]


def test_the_name_rules_catch_what_windows_refuses():
    for bad in ("CON", "con.age", "Aux.sig", "COM1.txt", "LPT9", "nul ", "a:b", 'a"b', "a|b", "a?b", "a*b",
                "a<b", "back\\slash", "dot.", "space ", "x" * 256, "tab\tname"):
        assert portable_name_problem(bad), bad
    for good in ("2026-10_central_to_fed-13_c1d8c3ff.age", "SECXFER-INDEX.json", "mun-131016-to-fed-13",
                 "CONSOLE", "com10", "x" * 255, "受領.json"):
        assert portable_name_problem(good) is None, good
    assert case_collisions(["a.age", "b.age", "A.age"]) == ["a.age / A.age"]


# -- a demo month on simulated Windows --------------------------------------------------


class FakeMsvcrt(types.ModuleType):
    """msvcrt.locking as Windows does it: a byte range from the current position."""

    LK_LOCK, LK_UNLCK = 1, 0

    def __init__(self, fail_first: int = 0) -> None:
        super().__init__("msvcrt")
        self.calls: list[tuple[str, int, int]] = []
        self.fail_first = fail_first

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        position = os.lseek(fd, 0, os.SEEK_CUR)
        if mode == self.LK_LOCK and self.fail_first:
            self.fail_first -= 1
            self.calls.append(("busy", position, nbytes))
            raise OSError(36, "Resource deadlock avoided")  # what LK_LOCK raises after ten tries
        self.calls.append(("lock" if mode == self.LK_LOCK else "unlock", position, nbytes))


@pytest.fixture
def windows_like(monkeypatch):
    """Windows as far as secxfer's file handling can tell; yields what it saw."""
    seen = types.SimpleNamespace(text_mode=[], msvcrt=FakeMsvcrt())
    real_open = os.open

    def windows_open(path, flags, mode=0o777, *, dir_fd=None):
        caller = sys._getframe(1).f_code.co_filename
        if os.path.isdir(path):
            raise PermissionError(13, "Access is denied", str(path))  # Windows cannot open a folder
        if "secxfer" in caller and not flags & BINARY_MARK:
            seen.text_mode.append(f"{Path(caller).name}: {Path(path).name}")
        return real_open(path, flags & ~BINARY_MARK, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "O_BINARY", BINARY_MARK, raising=False)
    monkeypatch.setattr(os, "open", windows_open)
    monkeypatch.delattr(os, "pread", raising=False)
    monkeypatch.setitem(sys.modules, "fcntl", None)  # "import fcntl" raises ImportError
    monkeypatch.setitem(sys.modules, "msvcrt", seen.msvcrt)
    monkeypatch.setattr(tempfile, "TemporaryFile", tempfile.NamedTemporaryFile)
    yield seen


def test_a_demo_month_runs_on_simulated_windows_and_writes_portable_names(windows_like, tmp_path):
    from secxfer.testing.demo import run_demo

    result = run_demo(tmp_path / "w", municipalities=2, rows=80, seed=11)
    assert result.summary["reconciled"] is True and result.summary["rows_opened"] > 0

    # Every descriptor secxfer opened was binary: text mode turns LF into CRLF on write
    # and stops reading at the first Ctrl-Z byte.
    assert windows_like.text_mode == []
    locks = windows_like.msvcrt.calls
    assert locks and locks.count(("lock", 0, 1)) == locks.count(("unlock", 0, 1)) == len(locks) // 2

    # What goes on a medium (packages, signatures, index, return media with receipts)
    # and the homes: portable names, no case collisions, short paths.
    problems = []
    for top in ("media", "returns", "homes", "opened"):
        for folder, dirs, files in os.walk(tmp_path / "w" / top):
            names = dirs + files
            problems += [f"{folder}/{n}: {portable_name_problem(n)}" for n in names if portable_name_problem(n)]
            problems += [f"{folder}: {c}" for c in case_collisions(names)]
            for name in names:
                relative = (Path(folder) / name).relative_to(tmp_path / "w" / top)
                # E:\ + this, or %LOCALAPPDATA%\secxfer\ + this, stays far below MAX_PATH (260)
                if len(str(relative)) > 100:
                    problems.append(f"{relative}: {len(str(relative))} characters")
    assert problems == []
    packages = list((tmp_path / "w" / "media").rglob("*.age"))
    assert packages and all(n.parent.name.count("-to-") == 1 for n in packages)


# -- the pieces one by one ------------------------------------------------------------


def test_files_are_written_byte_exact_where_folders_cannot_be_fsynced(windows_like, tmp_path):
    data = b"line\r\nline\n\x1a after Ctrl-Z\n"
    fsutil.atomic_write(tmp_path / "out.bin", data)
    assert (tmp_path / "out.bin").read_bytes() == data
    assert windows_like.text_mode == []


def test_a_folder_fsync_the_file_system_refuses_is_skipped(monkeypatch, tmp_path):
    def refuse(fd):
        raise OSError(22, "Invalid argument")  # some FAT drivers refuse fsync on a folder

    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: refuse(fd) if os.path.isdir(f"/proc/self/fd/{fd}") else real_fsync(fd))
    fsutil.atomic_write(tmp_path / "a.json", b"{}")
    assert (tmp_path / "a.json").read_bytes() == b"{}"


def test_the_windows_lock_waits_for_another_holder_and_locks_byte_zero(monkeypatch, tmp_path):
    fake = FakeMsvcrt(fail_first=2)
    monkeypatch.setitem(sys.modules, "fcntl", None)
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    lock_file = tmp_path / "state.lock"
    lock_file.write_bytes(b"x" * 10)  # "a+b" leaves the position at the end: locking must seek back
    with fsutil.exclusive_lock(lock_file):
        fake.calls.append(("body", -1, 0))
    assert fake.calls == [("busy", 0, 1), ("busy", 0, 1), ("lock", 0, 1), ("body", -1, 0), ("unlock", 0, 1)]


def test_packages_seen_are_appended_without_pread_even_after_a_torn_line(monkeypatch, tmp_path):
    monkeypatch.delattr(os, "pread", raising=False)
    home = ChainHome(tmp_path)
    home.remember({"package_id": "a" * 32, "action": "opened"})
    seen_file = tmp_path / "chain" / "seen.jsonl"
    with seen_file.open("ab") as handle:
        handle.write(b'{"package_id": "torn')  # power loss mid-line
    home.remember({"package_id": "b" * 32, "action": "opened"})
    assert home.seen("a" * 32)["action"] == "opened"
    assert home.seen("b" * 32)["action"] == "opened"
    assert seen_file.read_bytes().count(b"\n") == 3


def test_scratch_files_a_power_cut_left_on_windows_are_removed(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "TemporaryFile", tempfile.NamedTemporaryFile)
    home = ChainHome(tmp_path)
    (tmp_path / "tmp").mkdir()
    stale = tmp_path / "tmp" / "tmpab12cd34"
    stale.write_bytes(b"decrypted rows left by a power cut")
    with home.scratch() as handle:
        handle.write(b"rows")
        assert not stale.exists()
        assert [p.name for p in (tmp_path / "tmp").iterdir()] == [Path(handle.name).name]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_posix_scratch_files_never_have_a_name(tmp_path):
    with ChainHome(tmp_path).scratch() as handle:
        handle.write(b"rows")
        assert list((tmp_path / "tmp").iterdir()) == []


def test_one_home_folder_for_trust_chain_and_log_on_windows(monkeypatch, tmp_path):
    from secxfer.chain.home import default_home as chain_home
    from secxfer.cli._common import resolve_home
    from secxfer.trust.store import default_home as trust_home

    monkeypatch.delenv("SECXFER_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert chain_home() == trust_home() == resolve_home(None) == tmp_path / "Local" / "secxfer"
    monkeypatch.setenv("SECXFER_HOME", str(tmp_path / "elsewhere"))
    assert chain_home() == trust_home() == tmp_path / "elsewhere"


# -- files a text editor re-saved ---------------------------------------------------------


def _edited(data: bytes) -> dict[str, bytes]:
    return {
        "BOM": BOM + data,
        "CRLF": data.replace(b"\n", b"\r\n") + b"\r\n",
        "BOM+CRLF": BOM + data.replace(b"\n", b"\r\n") + b"\r\n",
    }


def test_a_card_a_text_editor_re_saved_is_refused_without_crying_incident():
    from secxfer.trust.signing import SignedDocument

    original = (KEYS_EXAMPLE / "cards" / "mun-131016.card").read_bytes()
    SignedDocument.decode(original)  # the original decodes
    for how, data in _edited(original).items():
        with pytest.raises(TextEditedError, match="re-saved by a text editor") as caught:
            SignedDocument.decode(data)
        assert "not an incident" in caught.value.hint, how
    # Content changed as well (here the JSON itself): the usual integrity error, not this one.
    tampered = original.replace(b'"kind":"', b'"kind" :"', 1)
    with pytest.raises(FormatError) as caught:
        SignedDocument.decode(BOM + tampered)
    assert type(caught.value) is FormatError


@pytest.mark.parametrize("edited", ["directory.json", "root.json"])
def test_directory_and_root_a_text_editor_re_saved_are_named_as_such(edited, run_cli, tmp_path):
    files = {name: KEYS_EXAMPLE / name for name in ("directory.json", "root.json")}
    run_cli("directory", "verify", files["directory.json"], "--root", files["root.json"])
    for how, data in _edited(files[edited].read_bytes()).items():
        copy = tmp_path / f"{how}-{edited}"
        copy.write_bytes(data)
        chosen = {**files, edited: copy}
        _out, err = run_cli("directory", "verify", chosen["directory.json"], "--root", chosen["root.json"], code=3)
        assert "re-saved by a text editor" in err and "report the incident" not in err, how


def test_cli_names_the_editor_and_exits_3_for_a_card_saved_by_notepad(run_cli, tmp_path):
    card = tmp_path / "mun-131016.card"
    card.write_bytes(BOM + (KEYS_EXAMPLE / "cards" / "mun-131016.card").read_bytes())
    _out, err = run_cli("keys", "verify", card, code=3)
    assert "re-saved by a text editor (a UTF-8 BOM added)" in err and "report the incident" not in err
    _out, err = run_cli("--lang", "ja", "keys", "verify", card, code=3)
    assert "テキストエディタ" in err and "事案ではありません" in err


def test_key_files_saved_by_notepad_still_load(tmp_path):
    from secxfer.trust.secret_keys import load_secret_key

    original = (KEYS_EXAMPLE / "keys" / "mun-131016.key").read_bytes()
    for how, data in _edited(original).items():
        path = tmp_path / f"{how}.key"
        path.write_bytes(data)
        assert load_secret_key(path).participant_id == "mun-131016", how


# -- a scanner holding a file just written; wildcards cmd.exe leaves alone -------------------


def _flaky_replace(monkeypatch, failures: int) -> list[float]:
    sleeps: list[float] = []
    real_replace = os.replace
    left = [failures]

    def replace(source, target):
        if left[0]:
            left[0] -= 1
            raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(fsutil.time, "sleep", sleeps.append)
    return sleeps


def test_a_rename_a_virus_scanner_blocks_for_a_moment_is_retried_on_windows(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "win32")
    sleeps = _flaky_replace(monkeypatch, failures=3)
    fsutil.atomic_write(tmp_path / "SECXFER-INDEX.json", b"{}", overwrite=True)
    assert (tmp_path / "SECXFER-INDEX.json").read_bytes() == b"{}" and len(sleeps) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["SECXFER-INDEX.json"]


def test_a_rename_refused_for_good_fails_without_leaving_a_temporary_file(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "win32")
    sleeps = _flaky_replace(monkeypatch, failures=fsutil.REPLACE_TRIES)
    with pytest.raises(PermissionError):
        fsutil.atomic_write(tmp_path / "a.age", b"x")
    assert len(sleeps) == fsutil.REPLACE_TRIES - 1 and list(tmp_path.iterdir()) == []


def test_posix_never_waits_on_a_refused_rename(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "linux")
    sleeps = _flaky_replace(monkeypatch, failures=1)
    with pytest.raises(PermissionError):
        fsutil.atomic_write(tmp_path / "a.age", b"x")
    assert sleeps == []


def test_wildcards_are_expanded_on_windows_where_no_shell_does_it(monkeypatch, capsys):
    from secxfer.cli import expand_wildcards, main

    cards = KEYS_EXAMPLE / "cards"
    assert expand_wildcards([str(cards / "fed-0?.card"), "--key", "a.key"])[:2] == [
        str(cards / "fed-01.card"), str(cards / "fed-02.card")]
    assert expand_wildcards([str(cards / "nothing-*.card")]) == [str(cards / "nothing-*.card")]

    import secxfer.cli

    monkeypatch.setattr(sys, "argv", ["secxfer", "--lang", "en", "keys", "verify", str(cards / "mun-13101?.card")])
    monkeypatch.setattr(secxfer.cli, "shell_leaves_wildcards", lambda: True)
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0, capsys.readouterr().err
    monkeypatch.setattr(secxfer.cli, "shell_leaves_wildcards", lambda: False)  # a POSIX shell expands
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code != 0


def test_opened_files_reach_their_folder_when_a_scanner_holds_one_for_a_moment(monkeypatch, tmp_path):
    from secxfer.chain.open import _write_staged

    monkeypatch.setattr(sys, "platform", "win32")
    sleeps = _flaky_replace(monkeypatch, failures=2)
    out = tmp_path / "受領" / "2026-10"
    out.parent.mkdir()
    _write_staged(out, {"annex1.csv": b"a,b\r\n", "annex2.csv": b"c\r\n"}, tmp_path / "home")
    assert sorted(p.name for p in out.iterdir()) == ["annex1.csv", "annex2.csv"] and len(sleeps) == 2
    assert (out / "annex1.csv").read_bytes() == b"a,b\r\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["2026-10"]  # no staging folder left


def test_output_to_a_cp932_file_never_ends_in_an_encoding_error(monkeypatch, tmp_path):
    import io

    from secxfer.cli import main
    from secxfer.domain.sample import generate_sample

    sample = generate_sample(tmp_path / "in", period="2026-10", rows=8, seed=3)
    annex1 = next(f for f in map(Path, sample.files) if "1" in f.name)
    for lang in ("en", "ja"):
        raw = io.BytesIO()
        stdout = io.TextIOWrapper(raw, encoding="cp932", write_through=True)  # `> result.txt` on Japanese Windows
        monkeypatch.setattr(sys, "stdout", stdout)
        with pytest.raises(SystemExit) as done:
            main(["--lang", lang, "validate", "--annex", "1", "--period", "2026-10", str(annex1)])
        assert done.value.code == 0
        text = raw.getvalue().decode("cp932")
        assert " ? " in text and ("rows" in text or "行" in text), text  # '·' became '?'

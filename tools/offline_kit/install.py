"""Install secxfer from this offline kit into a virtual environment (no network).

    python install.py [--venv DIR] [--check-only]

1. Every file listed in SHA256SUMS must be present with that SHA-256, and every
   wheel and requirements file in the kit must be listed; otherwise nothing is
   installed (exit 3).
2. The requirements file for this platform and Python (``requirements/TAG.txt``)
   pins every package to one version and hash; pip installs from ``wheels/`` only
   (``--no-index --require-hashes``), ignoring any pip configuration on the PC.
3. ``secxfer --version`` is run from the new environment.

Standard library only: this runs before anything is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

KIT = Path(__file__).resolve().parent
SUMS = "SHA256SUMS"
CHECKED_FOLDERS = ("wheels", "requirements")


class KitError(Exception):
    """The kit is damaged or incomplete: install nothing."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(kit: Path) -> dict[str, str]:
    """``relative/path -> hex`` from SHA256SUMS (the format ``sha256sum`` writes)."""
    sums_path = kit / SUMS
    if not sums_path.is_file():
        raise KitError(f"{SUMS} is missing from {kit}")
    entries: dict[str, str] = {}
    # utf-8-sig: a copy opened and saved in Notepad gains a BOM and CRLF; both are harmless here.
    for number, line in enumerate(sums_path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        name = name.lstrip("*")
        if not sep or len(digest) != 64 or not name or name.startswith("/") or ".." in name.split("/"):
            raise KitError(f"{SUMS} line {number} is not 'HEX  relative/path'")
        entries[name] = digest.lower()
    return entries


def verify_kit(kit: Path = KIT) -> dict[str, str]:
    """Check every file against SHA256SUMS; raise KitError naming each problem."""
    entries = read_sums(kit)
    problems = []
    for name, digest in sorted(entries.items()):
        path = kit.joinpath(*name.split("/"))
        if not path.is_file():
            problems.append(f"missing: {name}")
        elif sha256_file(path) != digest:
            problems.append(f"SHA-256 differs: {name}")
    for folder in CHECKED_FOLDERS:
        for path in sorted((kit / folder).glob("*")):
            name = f"{folder}/{path.name}"
            if name not in entries:
                problems.append(f"not listed in {SUMS}: {name}")
    if problems:
        raise KitError("the kit does not match SHA256SUMS: " + "; ".join(problems))
    return entries


def platform_tag(sys_platform: str | None = None, machine: str | None = None) -> str:
    sys_platform = sys_platform or sys.platform
    machine = (machine or platform.machine()).lower()
    if machine not in ("amd64", "x86_64"):
        raise KitError(f"this kit holds x86-64 wheels only; this machine is {machine!r}")
    if sys_platform == "win32":
        return "win_amd64"
    if sys_platform.startswith("linux"):
        return "manylinux_x86_64"
    raise KitError(f"this kit holds Windows and Linux wheels only; this system is {sys_platform!r}")


def requirements_for(kit: Path, tag: str, version: tuple[int, int]) -> Path:
    name = f"{tag}-cp{version[0]}{version[1]}.txt"
    path = kit / "requirements" / name
    if not path.is_file():
        have = sorted(p.stem for p in (kit / "requirements").glob("*.txt"))
        raise KitError(
            f"this kit has no wheels for Python {version[0]}.{version[1]} on {tag} "
            f"(it has: {', '.join(have) or 'none'}); install a Python the kit supports"
        )
    return path


def default_venv() -> Path:
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "Programs" / "secxfer"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "secxfer-venv"


def venv_paths(venv: Path, windows: bool | None = None) -> tuple[Path, Path]:
    """The environment's python and secxfer executables."""
    windows = sys.platform == "win32" if windows is None else windows
    if windows:
        return venv / "Scripts" / "python.exe", venv / "Scripts" / "secxfer.exe"
    return venv / "bin" / "python", venv / "bin" / "secxfer"


def offline_pip_env() -> dict[str, str]:
    """The environment for pip: no PIP_* settings and no pip configuration file."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull  # pip skips every configuration file for exactly this value
    return env


def pip_install_command(python: Path, kit: Path, requirements: Path) -> list[str]:
    return [
        str(python), "-m", "pip", "--isolated", "--disable-pip-version-check", "install",
        "--no-index", "--find-links", str(kit / "wheels"),
        "--require-hashes", "--only-binary=:all:", "--no-cache-dir", "--no-warn-script-location",
        "-r", str(requirements),
    ]


def prepare_venv(venv: Path) -> None:
    if venv.exists() and any(venv.iterdir()) and not (venv / "pyvenv.cfg").is_file():
        raise KitError(f"{venv} exists and is not a Python virtual environment; choose another --venv")
    if not (venv / "pyvenv.cfg").is_file():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Install secxfer from this offline kit.")
    parser.add_argument("--venv", type=Path, default=None, help="virtual environment to create or update")
    parser.add_argument("--check-only", action="store_true", help="only verify the kit against SHA256SUMS")
    args = parser.parse_args(argv)
    try:
        entries = verify_kit(KIT)
        print(f"secxfer kit: {len(entries)} files match {SUMS}")
        if args.check_only:
            return 0
        requirements = requirements_for(KIT, platform_tag(), sys.version_info[:2])
    except KitError as error:
        print(f"secxfer kit: ERROR: {error}", file=sys.stderr)
        print("secxfer kit: nothing was installed", file=sys.stderr)
        return 3
    venv = (args.venv or default_venv()).expanduser().resolve()
    try:
        prepare_venv(venv)
    except KitError as error:
        print(f"secxfer kit: ERROR: {error}", file=sys.stderr)
        return 2
    python, secxfer = venv_paths(venv)
    print(f"secxfer kit: installing {requirements.stem} into {venv}")
    result = subprocess.run(pip_install_command(python, KIT, requirements), env=offline_pip_env())
    if result.returncode != 0:
        print("secxfer kit: ERROR: pip could not install from the kit (see above)", file=sys.stderr)
        return 1
    version = subprocess.run([str(secxfer), "--version"], capture_output=True, text=True)
    if version.returncode != 0:
        print(f"secxfer kit: ERROR: {secxfer} --version failed: {version.stderr.strip()}", file=sys.stderr)
        return 1
    print(f"secxfer kit: installed {version.stdout.strip()}")
    print(f"secxfer kit: run it as: {secxfer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

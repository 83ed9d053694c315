"""Build the offline install kit: every wheel secxfer needs, hashes and install scripts.

    python tools/build_offline_kit.py --out DIR
        [--platform win_amd64 --platform manylinux_x86_64] [--python 3.11 --python 3.12 --python 3.13]

The kit (see docs/install.md) holds ``wheels/`` (secxfer's own wheel built from this
checkout and the runtime dependencies of pyproject.toml, resolved per platform and
Python; pure-Python wheels once), ``requirements/TAG-cpXY.txt`` (each package pinned
to one version and SHA-256, for ``pip install --require-hashes``), ``SHA256SUMS``
over every file, and ``install.py`` with its wrappers ``install.sh``,
``install.ps1`` and ``install.cmd``. Installing from it needs no network; before it
finishes, the builder resolves every target from the kit alone (``pip install
--dry-run --no-index --require-hashes`` with the target's platform).

Building needs the package registry (``pip download``; pip's cache is reused).
``pip download --platform`` evaluates environment markers for the machine it runs
on, not for the target: built on Linux, typer's ``colorama; platform_system ==
"Windows"`` would be missing from the Windows part. So every target's dependency
closure is recomputed from the wheels' metadata with the target's markers; what
is missing is downloaded and what the target never uses is left out.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

try:
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename
except ImportError:  # pip always carries a copy
    from pip._vendor.packaging.markers import Marker  # type: ignore[no-redef]
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    from pip._vendor.packaging.utils import canonicalize_name, parse_wheel_filename  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "offline_kit"
PLATFORMS = ("win_amd64", "manylinux_x86_64")
PYTHONS = ("3.11", "3.12", "3.13")
# Linux wheels for glibc 2.28 and older (RHEL 8, Debian 10, Ubuntu 20.04 and later).
MANYLINUX_TAGS = (
    "manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_24_x86_64", "manylinux_2_17_x86_64",
    "manylinux2014_x86_64", "manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_5_x86_64",
    "manylinux1_x86_64",
)
# Files the Windows side reads with cmd.exe / PowerShell get CRLF line ends.
CRLF_FILES = ("install.cmd", "install.ps1", "README.txt")
SOURCE_PARTS = ("pyproject.toml", "README.md", "secxfer")


class KitBuildError(Exception):
    """Building the kit failed (pip's output is in the message)."""


@dataclass(frozen=True)
class Target:
    platform: str  # win_amd64 | manylinux_x86_64
    python: str  # "3.12"

    @property
    def name(self) -> str:
        return f"{self.platform}-cp{self.python.replace('.', '')}"

    def pip_platform_args(self) -> list[str]:
        tags = MANYLINUX_TAGS if self.platform == "manylinux_x86_64" else (self.platform,)
        args = []
        for tag in tags:
            args += ["--platform", tag]
        abi = "cp" + self.python.replace(".", "")
        return args + ["--python-version", self.python, "--implementation", "cp", "--abi", abi, "--abi", "abi3", "--abi", "none"]

    def marker_environment(self) -> dict[str, str]:
        windows = self.platform.startswith("win")
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{self.python}.0",
            "os_name": "nt" if windows else "posix",
            "platform_machine": "AMD64" if windows else "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Windows" if windows else "Linux",
            "platform_version": "",
            "python_full_version": f"{self.python}.0",
            "python_version": self.python,
            "sys_platform": "win32" if windows else "linux",
            "extra": "",
        }


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: str  # canonical
    version: str
    requires: tuple[str, ...]


def read_wheel(path: Path) -> Wheel:
    name, version, _build, _tags = parse_wheel_filename(path.name)
    with zipfile.ZipFile(path) as archive:
        metadata_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        metadata = email.parser.BytesParser().parsebytes(archive.read(metadata_name), headersonly=True)
    return Wheel(path, canonicalize_name(name), str(version), tuple(metadata.get_all("Requires-Dist") or ()))


def applies(requirement: Requirement, environment: dict[str, str]) -> bool:
    return requirement.marker is None or requirement.marker.evaluate(environment)


def closure(roots: list[str], wheels: list[Wheel], target: Target) -> tuple[list[Wheel], set[str]]:
    """The wheels ``roots`` need on ``target`` and the names no wheel provides.

    Requirements are followed with the target's markers (extras are not followed:
    secxfer asks for none at run time).
    """
    environment = target.marker_environment()
    by_name = {w.name: w for w in wheels}
    needed: dict[str, Wheel] = {}
    missing: set[str] = set()
    queue = [Requirement(r) for r in roots]
    while queue:
        requirement = queue.pop()
        if not applies(requirement, environment):
            continue
        name = canonicalize_name(requirement.name)
        if name in needed:
            continue
        wheel = by_name.get(name)
        if wheel is None:
            missing.add(name)
            continue
        needed[name] = wheel
        queue.extend(Requirement(r) for r in wheel.requires)
    return sorted(needed.values(), key=lambda w: w.name), missing


def run_pip(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise KitBuildError(f"pip {' '.join(args[:2])} failed:\n{tail}")


def project_dependencies(repo: Path = REPO) -> list[str]:
    return list(tomllib.loads((repo / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"])


def build_own_wheel(into: Path, repo: Path = REPO) -> Path:
    """secxfer's wheel from a clean copy of the sources (the checkout gets no build/ folder)."""
    with tempfile.TemporaryDirectory(prefix="secxfer-kit-src-") as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for part in SOURCE_PARTS:
            origin = repo / part
            if origin.is_dir():
                shutil.copytree(origin, source / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(origin, source / part)
        run_pip(["wheel", "--no-deps", "--quiet", "--wheel-dir", str(into), str(source)])
    (wheel,) = into.glob("secxfer-*.whl")
    return wheel


def download_target(target: Target, requirements: list[str], scratch: Path) -> list[Wheel]:
    """Wheels for ``target``: pip's resolution, then the closure under the target's markers."""
    folder = scratch / target.name
    folder.mkdir(parents=True)
    wanted = list(requirements)
    for _round in range(5):
        run_pip(["download", "--quiet", "--only-binary=:all:", *target.pip_platform_args(), "--dest", str(folder), *wanted])
        wheels = [read_wheel(p) for p in sorted(folder.glob("*.whl"))]
        needed, missing = closure(requirements, wheels, target)
        if not missing:
            return needed
        wanted += sorted(missing)
    raise KitBuildError(f"{target.name}: could not resolve {sorted(missing)}")


def check_offline(out: Path, target: Target, scratch: Path) -> None:
    """Resolve the target's requirements from the kit alone, as install.py will (dry run).

    Same options as the installer (no index, pinned hashes, wheels only, no pip
    configuration) plus the target's platform, so a Windows part built on Linux is
    proved complete here rather than on the first offline PC.
    """
    import os

    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    command = [
        sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check", "install", "--dry-run",
        "--target", str(scratch / f"check-{target.name}"), "--no-index", "--find-links", str(out / "wheels"),
        "--require-hashes", "--only-binary=:all:", *target.pip_platform_args(),
        "-r", str(out / "requirements" / f"{target.name}.txt"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-10:])
        raise KitBuildError(f"{target.name}: the kit does not install offline:\n{tail}")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_text(path: Path, text: str, *, crlf: bool = False) -> None:
    text = text.replace("\r\n", "\n")
    path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode("utf-8"))


def write_requirements(out: Path, target: Target, wheels: list[Wheel]) -> Path:
    lines = [f"# secxfer offline kit: {target.name} (pip install --no-index --require-hashes)"]
    for wheel in sorted(wheels, key=lambda w: w.name):
        lines.append(f"{wheel.name}=={wheel.version} --hash=sha256:{sha256_file(wheel.path)}")
    path = out / "requirements" / f"{target.name}.txt"
    write_text(path, "\n".join(lines) + "\n", crlf=target.platform.startswith("win"))
    return path


def write_sums(out: Path) -> str:
    """SHA256SUMS over every other file (``sha256sum -c`` format); returns its own SHA-256."""
    lines = []
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        lines.append(f"{sha256_file(path)}  {path.relative_to(out).as_posix()}")
    sums = out / "SHA256SUMS"
    sums.write_bytes(("\n".join(lines) + "\n").encode("ascii"))
    return sha256_file(sums)


def build_kit(out: Path, targets: list[Target], *, repo: Path = REPO) -> dict:
    """Build the kit in ``out`` (which must not exist or be empty); a summary of what it holds."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise KitBuildError(f"{out} is not empty; choose a new folder")
    (out / "wheels").mkdir(parents=True, exist_ok=True)
    (out / "requirements").mkdir()
    requirements = project_dependencies(repo)
    summary: dict = {"targets": {}}
    with tempfile.TemporaryDirectory(prefix="secxfer-kit-") as tmp:
        own = read_wheel(build_own_wheel(Path(tmp) / "own", repo))
        shutil.copy2(own.path, out / "wheels" / own.path.name)
        for target in targets:
            wheels = download_target(target, requirements, Path(tmp) / "download")
            for wheel in wheels:
                destination = out / "wheels" / wheel.path.name
                if destination.exists():
                    if sha256_file(destination) != sha256_file(wheel.path):
                        raise KitBuildError(f"two different files named {wheel.path.name}")
                else:
                    shutil.copy2(wheel.path, destination)
            placed = [Wheel(out / "wheels" / w.path.name, w.name, w.version, w.requires) for w in wheels]
            own_placed = Wheel(out / "wheels" / own.path.name, own.name, own.version, own.requires)
            write_requirements(out, target, [own_placed, *placed])
            summary["targets"][target.name] = len(placed) + 1
        for target in targets:
            check_offline(out, target, Path(tmp))
    for template in sorted(TEMPLATES.iterdir()):
        if template.is_file():
            write_text(out / template.name, template.read_text("utf-8"), crlf=template.name in CRLF_FILES)
    (out / "install.sh").chmod(0o755)
    summary["wheels"] = len(list((out / "wheels").glob("*.whl")))
    summary["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    summary["sha256sums"] = write_sums(out)
    summary["secxfer"] = own.version
    return summary


def parse_targets(platforms: list[str] | None, pythons: list[str] | None) -> list[Target]:
    for python in pythons or ():
        if not re.fullmatch(r"3\.\d+", python):
            raise SystemExit(f"--python takes a version like 3.12, not {python!r}")
    return [Target(p, v) for p in (platforms or PLATFORMS) for v in (pythons or PYTHONS)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build secxfer's offline install kit.")
    parser.add_argument("--out", type=Path, required=True, help="new or empty folder for the kit")
    parser.add_argument("--platform", action="append", choices=PLATFORMS, help="default: both")
    parser.add_argument("--python", action="append", help="default: 3.11, 3.12 and 3.13")
    args = parser.parse_args(argv)
    try:
        summary = build_kit(args.out, parse_targets(args.platform, args.python))
    except KitBuildError as error:
        print(f"build_offline_kit: ERROR: {error}", file=sys.stderr)
        return 1
    print(f"secxfer {summary['secxfer']} offline kit in {args.out}: {summary['wheels']} wheels, "
          f"{summary['bytes'] / 1e6:.1f} MB")
    for name, count in summary["targets"].items():
        print(f"  {name}: {count} wheels")
    print(f"SHA-256 of SHA256SUMS (tell the recipients by a separate channel): {summary['sha256sums']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

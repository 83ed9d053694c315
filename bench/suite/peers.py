"""The other tools: find them, install the missing ones when allowed, and give each its keys.

Installing needs root (apt-get) or a writable environment (pip, for ``pyrage``); when
a peer is missing and cannot be installed the suite skips its rows and the report says
so. Keys are generated here, outside every timed section, in a private folder.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from suite.measure import run, tool_version

APT_PACKAGES = {"age": "age", "gpg": "gnupg", "minisign": "minisign", "openssl": "openssl"}
PYRAGE_VERSION = "1.4.0"


@dataclass
class Peers:
    found: dict[str, str] = field(default_factory=dict)  # name -> version
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why
    installed: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.found


def _apt_install(package: str) -> bool:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", "install", "-y", "-qq", package], capture_output=True, env=env)
    if done.returncode != 0:  # the package lists may be missing on a fresh machine
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env)
        done = subprocess.run(["apt-get", "install", "-y", "-qq", package], capture_output=True, env=env)
    return done.returncode == 0


def _pip_install(requirement: str) -> bool:
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", requirement], capture_output=True)
    importlib.invalidate_caches()
    return done.returncode == 0


def discover(*, install: bool) -> Peers:
    """Which peers exist (installing missing ones if ``install``), with their versions."""
    peers = Peers()
    for tool, package in APT_PACKAGES.items():
        if shutil.which(tool) is None and install and _apt_install(package):
            peers.installed.append(package)
        if shutil.which(tool) is None:
            peers.skipped[tool] = f"not installed (apt-get install {package}{'' if install else '; run bench/run as root to install it'})"
    versions = {"age": ["age", "--version"], "gpg": ["gpg", "--version"], "minisign": ["minisign", "-v"],
                "openssl": ["openssl", "version"], "rage": ["rage", "--version"]}
    for tool, command in versions.items():
        if shutil.which(tool):
            peers.found[tool] = tool_version(command)
    if "rage" not in peers.found:
        peers.skipped["rage"] = "no rage binary (Debian has no package for it); pyrage stands in"
    try:
        import pyrage  # noqa: F401
    except ImportError:
        if install and _pip_install(f"pyrage=={PYRAGE_VERSION}"):
            peers.installed.append(f"pyrage=={PYRAGE_VERSION}")
    try:
        from importlib.metadata import version

        import pyrage  # noqa: F401,F811

        peers.found["pyrage"] = version("pyrage")
    except ImportError:
        peers.skipped["pyrage"] = f"not installed (pip install pyrage=={PYRAGE_VERSION})"
    return peers


@dataclass
class PeerKeys:
    """Keys for the peers of one benchmark: an age identity, a gpg home, a minisign pair."""

    folder: Path
    age_identity: Path | None = None
    age_recipient: str = ""
    gnupg_home: Path | None = None
    gpg_user: str = "secxfer-bench@example.invalid"
    minisign_secret: Path | None = None
    minisign_public: Path | None = None

    def gpg_env(self) -> dict[str, str]:
        return {**os.environ, "GNUPGHOME": str(self.gnupg_home)}


def make_keys(folder: Path, peers: Peers, *, secxfer_identity) -> PeerKeys:
    """One key set for all peers; the age identity is secxfer's, so every tool decrypts every file."""
    from secxfer.age.keys import identity_file_text

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys = PeerKeys(folder=folder)
    keys.age_identity = folder / "age-identity.txt"
    keys.age_identity.write_text(identity_file_text(secxfer_identity))
    keys.age_recipient = secxfer_identity.recipient.encode()
    if peers.has("gpg"):
        keys.gnupg_home = folder / "gnupg"
        keys.gnupg_home.mkdir(mode=0o700)
        env = keys.gpg_env()
        base = ["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
        run([*base, "--quick-gen-key", keys.gpg_user, "ed25519", "sign", "never"], env=env)
        listing = run(["gpg", "--batch", "--with-colons", "--list-keys", keys.gpg_user], env=env).decode()
        fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        run([*base, "--quick-add-key", fingerprint, "cv25519", "encr", "never"], env=env)
    if peers.has("minisign"):
        keys.minisign_secret, keys.minisign_public = minisign_pair(folder, "bench")
    return keys


def minisign_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A minisign key pair without a password (-W), as an unattended signer would hold it."""
    secret, public = folder / f"{name}.minisign.key", folder / f"{name}.minisign.pub"
    run(["minisign", "-G", "-W", "-f", "-s", str(secret), "-p", str(public)])
    return secret, public


def close_gpg(keys: PeerKeys) -> None:
    """Stop the gpg-agent started for the bench's private GNUPGHOME."""
    if keys.gnupg_home is not None and shutil.which("gpgconf"):
        subprocess.run(["gpgconf", "--kill", "all"], env=keys.gpg_env(), capture_output=True)

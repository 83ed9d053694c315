"""Names inside packages never become paths; links on media are not followed; outputs are private.

The container allows a closed set of entry names in one order, and ``open`` writes
only its own three fixed file names, so nothing a package says can steer a write.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.chain import container, media
from secxfer.chain.inspect import verify_media
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.cli import run as cli_run
from secxfer.domain.sample import generate_sample
from secxfer.errors import EXIT_INTEGRITY, FormatError, IntegrityError, OperationalError
from secxfer.testing.network import build_network

ALLOWED = ["trust", *(f"manifest-{i}" for i in range(8)), "leaves", "annex1.csv", "annex2.csv", "annex3.csv"]
HOSTILE = [
    "../annex1.csv", "..", ".", "/etc/passwd", "/annex1.csv", "annex1.csv/", "sub/annex1.csv",
    "..\\annex1.csv", "C:annex1.csv", "C:\\Windows\\annex1.csv", "\\\\server\\share\\annex1.csv",
    "CON", "PRN", "NUL", "AUX", "COM1", "LPT1", "CON.csv", "nul.annex1.csv", "annex1.csv.", "annex1.csv ",
    "Annex1.csv", "ANNEX1.CSV", "TRUST", "annex1.csv\x00.txt", "annex1.csv\n", "trust\r",
    "ａnnex1.csv", "annex１.csv", "annex1․csv", "annex1.csv\u200b", "\u202eannex1.csv", "tru\u0073\u0323t",
    "manifest-8", "manifest-01", "manifest--1", "annex4.csv", "annex0.csv", "leaves.json", "",
]


def _container(*names: bytes, data: bytes = b"x") -> bytes:
    body = b"".join(struct.pack(">H", len(n)) + n + struct.pack(">Q", len(data)) + data for n in names)
    return container.MAGIC + body + b"\0\0"


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_entry_names_are_refused_by_reader_and_writer(name):
    raw = name.encode("utf-8", "surrogatepass")
    with pytest.raises(FormatError):
        container.parse(_container(raw))
    with pytest.raises(FormatError):  # behind a valid first entry too
        container.parse(_container(b"trust", raw))
    with pytest.raises(ValueError):
        container.entry_header(name, 1)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=24), st.binary(max_size=24).map(lambda b: b.decode("latin-1"))))
def test_only_the_closed_set_of_names_parses(name):
    raw = name.encode("utf-8", "surrogatepass")
    try:
        entries = container.parse(_container(raw))
    except FormatError:
        assert name not in ALLOWED or len(raw) == 0
    else:
        assert list(entries) == [name] and name in ALLOWED


def test_entries_parse_only_in_the_writers_order():
    ordered = [n.encode() for n in ALLOWED]
    assert list(container.parse(_container(*ordered))) == ALLOWED
    for i in range(len(ordered) - 1):
        swapped = list(ordered)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        with pytest.raises(FormatError, match="out of order|twice"):
            container.parse(_container(*swapped))
    # gaps are allowed by the framing (which entries are required is the reader's business)
    assert list(container.parse(_container(b"trust", b"manifest-2", b"annex3.csv"))) == ["trust", "manifest-2", "annex3.csv"]


# -- links on media and private outputs ----------------------------------------------------

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
ME = "mun-131016"


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = tmp_path_factory.mktemp("paths")
    net = build_network(root / "net", insurer_codes=["131016", "131024"], now=NOW)
    pristine = root / "pristine"
    shutil.copytree(net.workdir / "homes", pristine)
    sample = generate_sample(root / "source", period="2026-10", rows=40, seed=2, insurers=["131016", "131024"])
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k, homes, out = net.secrets, net.workdir / "homes", root / "media"
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency", out=out, now=NOW)
    central = relay(sealed.package.path, key=k["central"], home=homes / "central", out=out, now=NOW)
    fed_pkg = next(p.path for p in central.outputs if p.recipient == "fed-13")
    fed = relay(fed_pkg, key=k["fed-13"], home=homes / "fed-13", out=out, now=NOW)
    return net, pristine, fed_pkg, next(p.path for p in fed.outputs if p.recipient == ME)


def _home(pristine: Path, pid: str, where: Path) -> Path:
    shutil.copytree(pristine / pid, where / f"home-{pid}")
    return where / f"home-{pid}"


def test_open_and_relay_refuse_a_package_that_is_a_symbolic_link(chain, tmp_path):
    net, pristine, fed_pkg, package = chain
    link = tmp_path / package.name
    link.symlink_to(package)
    with pytest.raises(IntegrityError, match="symbolic link"):
        open_package(link, key=net.secrets[ME], home=_home(pristine, ME, tmp_path), out=tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()
    fed_link = tmp_path / fed_pkg.name
    fed_link.symlink_to(fed_pkg)
    with pytest.raises(IntegrityError, match="symbolic link"):
        relay(fed_link, key=net.secrets["fed-13"], home=_home(pristine, "fed-13", tmp_path), out=tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()
    (tmp_path / "cli").mkdir()
    home = _home(pristine, ME, tmp_path / "cli")
    code = cli_run(["open", str(link), "--key", str(net.key_path(ME)), "--out", str(tmp_path / "out"), "--home", str(home)])
    assert code == EXIT_INTEGRITY and not (tmp_path / "out").exists()


def test_a_named_pipe_posing_as_a_package_is_refused_without_blocking(chain, tmp_path):
    net, pristine, fed_pkg, _ = chain
    fifo = tmp_path / fed_pkg.name
    os.mkfifo(fifo)
    with pytest.raises(FormatError, match="not a regular file"):
        relay(fifo, key=net.secrets["fed-13"], home=_home(pristine, "fed-13", tmp_path), out=tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_media_verify_reports_links_instead_of_following_them(chain, tmp_path):
    net, pristine, _, package = chain
    home = _home(pristine, ME, tmp_path)
    tree = tmp_path / "usb"
    medium = tree / "fed-13-to-mun-131016"
    shutil.copytree(package.parent, medium)
    (tree / "elsewhere").symlink_to(package.parent, target_is_directory=True)
    (medium / "2026-10_fed-13_to_mun-131016_linked00.age").symlink_to(package)
    report = verify_media(tree, home=home)
    fails = [line for line in report.lines if line.startswith("FAIL")]
    assert any("elsewhere: symbolic link" in line for line in fails)
    assert any("linked00.age: symbolic link" in line for line in fails)
    assert report.packages == len(list(package.parent.glob("*.age")))  # the real ones, checked once
    # the index and an outer signature as links are refused too
    index = medium / media.INDEX_NAME
    index.unlink()
    index.symlink_to(package.parent / media.INDEX_NAME)
    sidecar = medium / (package.name + media.SIDECAR_SUFFIX)
    sidecar.unlink()
    sidecar.symlink_to(Path(str(package) + media.SIDECAR_SUFFIX))
    report = verify_media(medium, home=home)
    text = "\n".join(report.lines)
    assert f"{media.INDEX_NAME}: medium index" in text and "outer signature" in text and not report.ok
    assert cli_run(["media", "verify", str(tree), "--home", str(home)]) == EXIT_INTEGRITY


def test_relay_never_writes_through_a_linked_medium_folder(chain, tmp_path):
    net, pristine, fed_pkg, _ = chain
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / f"fed-13-to-{ME}").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OperationalError, match="symbolic link"):
        relay(fed_pkg, key=net.secrets["fed-13"], home=_home(pristine, "fed-13", tmp_path), out=out, now=NOW)
    assert list(elsewhere.iterdir()) == []


def test_open_writes_only_its_own_names_owner_only_whatever_the_umask(chain, tmp_path):
    net, pristine, _, package = chain
    previous = os.umask(0)
    try:
        result = open_package(package, key=net.secrets[ME], home=_home(pristine, ME, tmp_path), out=tmp_path / "out", now=NOW)
    finally:
        os.umask(previous)
    out = tmp_path / "out"
    assert sorted(os.listdir(out)) == [*(f"2026-10_{ME}_annex{n}.csv" for n in (1, 2, 3)),
                                       f"2026-10_{ME}_千代田区_特定技能.xlsx"]
    assert [p.parent for p in result.files] == [out] * 4
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o600}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".secxfer-tmp-")]


def test_decrypted_files_are_owner_only_whatever_the_umask(tmp_path):
    from secxfer.age import X25519Identity, decrypt_to_path, encrypt_bytes

    identity = X25519Identity(bytes(range(32)))
    (tmp_path / "file.age").write_bytes(encrypt_bytes([identity.recipient], b"plain rows"))
    previous = os.umask(0)
    try:
        with open(tmp_path / "file.age", "rb") as src:
            decrypt_to_path([identity], src, tmp_path / "file.csv")
        key = tmp_path / "id.txt"
        key.write_text(identity.encode() + "\n")
        assert cli_run(["age", "decrypt", "-i", str(key), "-o", str(tmp_path / "cli.csv"), str(tmp_path / "file.age")]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "file.csv").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cli.csv").stat().st_mode) == 0o600


def test_nothing_on_a_medium_is_readable_without_a_key(chain, tmp_path):
    """A lost medium: every file on it is ciphertext or public bookkeeping; no name,
    address or birth date from the rows appears in any of them, in any encoding."""
    net, _, fed_pkg, package = chain
    media_root = package.parent.parent
    rows = []
    for source in sorted((media_root.parent / "source").glob("*.csv")):
        for line in source.read_bytes().split(b"\r\n")[1:]:
            if line:
                fields = line.decode("cp932").split(",")
                rows += [fields[0].strip('"'), fields[2].strip('"'), fields[4].strip('"')]
    needles = {n.encode(enc) for n in rows if len(n) >= 6 for enc in ("cp932", "utf-8")}
    assert len(needles) > 40
    files = [p for p in media_root.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} == {".age", ".sig", ".json"}
    for path in files:
        data = path.read_bytes()
        assert not [n for n in needles if n in data], path.name

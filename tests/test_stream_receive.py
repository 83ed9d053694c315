"""Receiving in bounded memory: the container checked as it leaves decryption, rows read back in blocks.

The container grammar fed in pieces gives the verdicts of the grammar over the whole
buffer; a grammar error is reported only once the payload authenticated; a package
cut short or altered anywhere releases nothing; and blocks of a few bytes with the
row hashes on a second thread deliver exactly the agency's rows.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.age import encrypt_bytes
from secxfer.chain import beside as chain_beside
from secxfer.chain import container, datacheck, rows
from secxfer.chain.home import ChainHome
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.package import receive
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.verify import ANNEX_FILES
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.domain.sample import generate_sample
from secxfer.errors import DecryptionError, FormatError
from secxfer.testing.network import build_network

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
CODES = ["131016", "131024", "141003"]

names = st.sampled_from(["trust", "manifest-0", "manifest-1", "leaves", "annex1.csv", "annex2.csv", "annex3.csv"])


def _verdict(action):
    try:
        return {name: (entry.data, entry.offset, entry.size) for name, entry in action().items()}
    except FormatError as error:
        return str(error)


@settings(max_examples=300, deadline=None)
@given(
    entries=st.lists(st.tuples(names, st.binary(max_size=40)), max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 400)),
    flip=st.one_of(st.none(), st.tuples(st.integers(0, 400), st.integers(1, 255))),
    tail=st.binary(max_size=3),
    pieces=st.lists(st.integers(1, 9), min_size=1, max_size=8),
)
def test_the_grammar_fed_in_pieces_gives_the_verdict_of_the_whole(entries, cut, flip, tail, pieces):
    raw = bytearray(b"".join(bytes(c) for c in container.serialize([(n, [d]) for n, d in entries])) + tail)
    if flip is not None and raw:
        raw[flip[0] % len(raw)] ^= flip[1]
    if cut is not None:
        raw = raw[:cut]
    framer = container.Framer()  # holds everything, as parse does
    at, turn = 0, 0
    while at < len(raw):
        step = pieces[turn % len(pieces)]
        framer.feed(memoryview(raw)[at : at + step])
        at, turn = at + step, turn + 1
    assert _verdict(framer.finish) == _verdict(lambda: container.parse(bytes(raw)))


def test_data_files_are_located_not_held_and_a_big_held_entry_is_refused(monkeypatch):
    raw = b"".join(bytes(c) for c in container.serialize([("trust", [b"t"]), ("annex1.csv", [b"abc", b"de"])]))
    framer = container.Framer(hold=lambda name: name == "trust")
    framer.feed(raw)
    entries = framer.finish()
    assert entries["trust"].data == b"t" and entries["annex1.csv"].data is None
    located = entries["annex1.csv"]
    assert raw[located.offset : located.offset + located.size] == b"abcde"
    monkeypatch.setattr(container, "HELD_MAX_BYTES", 4)
    big = b"".join(bytes(c) for c in container.serialize([("trust", [b"12345"])]))
    with pytest.raises(FormatError, match="exceeds its size limit"):
        container.parse(big)


@pytest.fixture(scope="module")
def big_world(tmp_path_factory):
    """A month whose municipality package is over 1 MiB: several age batches, read-ahead and write-behind threads."""
    root = tmp_path_factory.mktemp("stream")
    network = build_network(root, insurer_codes=CODES, now=NOW)
    sample = generate_sample(root / "source", period="2026-10", rows=24_000, seed=5, insurers=["131016"])
    return network, {i + 1: Path(f) for i, f in enumerate(sample.files)}


def _homes(network, tmp_path) -> Path:
    homes = tmp_path / "homes"
    shutil.copytree(network.workdir / "homes", homes)
    return homes


def _to_municipality(network, files, homes, out):
    k = network.secrets
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency", out=out, now=NOW)
    central = relay(sealed.package.path, key=k["central"], home=homes / "central", out=out, now=NOW)
    fed_pkg = next(p for p in central.outputs if p.recipient == "fed-13")
    fed = relay(fed_pkg.path, key=k["fed-13"], home=homes / "fed-13", out=out, now=NOW)
    return sealed, next(p for p in fed.outputs if p.recipient == "mun-131016")


def _source_rows(files) -> bytes:
    return b"".join(b"".join(Path(f).read_bytes().split(b"\r\n", 1)[1:]) for f in files.values())


@pytest.mark.parametrize("beside", [False, True])
def test_tiny_blocks_deliver_exactly_the_agencys_rows(big_world, tmp_path, monkeypatch, beside):
    network, files = big_world
    monkeypatch.setattr(rows, "BLOCK", 4093)  # many blocks, row ends and CRLF pairs across their edges
    monkeypatch.setattr(datacheck, "HASH_BESIDE_MIN_BYTES", 0 if beside else 1 << 60)
    monkeypatch.setattr(chain_beside, "BESIDE_MIN_BYTES", 0 if beside else 1 << 60)  # write and frame hashes
    homes = _homes(network, tmp_path)
    _, package = _to_municipality(network, files, homes, tmp_path / "media")
    assert package.size > 1 << 20
    result = open_package(package.path, key=network.secrets["mun-131016"], home=homes / "mun-131016",
                          out=tmp_path / "opened", now=NOW, workbook=False)
    opened = b"".join(b"".join(p.read_bytes().split(b"\r\n", 1)[1:]) for p in result.files)
    assert sorted(opened.split(b"\r\n")) == sorted(_source_rows(files).split(b"\r\n"))


@pytest.mark.parametrize("damage", ["cut", "flip"])
def test_a_large_package_cut_short_or_altered_releases_nothing(big_world, tmp_path, damage):
    network, files = big_world
    homes = _homes(network, tmp_path)
    sealed, package = _to_municipality(network, files, homes, tmp_path / "media")
    for path, pid in ((package.path, "mun-131016"), (sealed.package.path, "central")):
        data = bytearray(path.read_bytes())
        middle = len(data) // 2
        damaged = tmp_path / f"damaged-{pid}" / path.name
        damaged.parent.mkdir()
        damaged.write_bytes(data[:middle] if damage == "cut" else data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
        home = tmp_path / f"fresh-{pid}"
        shutil.copytree(network.workdir / "homes" / pid, home)
        out = tmp_path / f"out-{pid}"
        with pytest.raises(DecryptionError):
            if pid == "central":
                relay(damaged, key=network.secrets[pid], home=home, out=out, now=NOW)
            else:
                open_package(damaged, key=network.secrets[pid], home=home, out=out, now=NOW)
        assert not out.exists()
        scratch = ChainHome(home).root / "tmp"
        assert not scratch.is_dir() or not any(scratch.iterdir())  # the plaintext scratch went with the error


def test_a_malformed_container_is_reported_only_after_the_payload_authenticated(big_world, tmp_path):
    network, _ = big_world
    central = network.secrets["central"]
    recipients = [central.encryption_identity.recipient]
    raw = b"not-a-secxfer-package\n" + b"x" * (3 << 20)  # wrong from its first bytes on
    package = tmp_path / "odd.age"
    package.write_bytes(encrypt_bytes(recipients, raw))
    home = _homes(network, tmp_path) / "central"
    with pytest.raises(FormatError, match="bad container magic"):
        receive(package, me=central, home=home, now=NOW)
    package.write_bytes(package.read_bytes()[: -(1 << 20)])  # the same, cut short: authentication fails first
    with pytest.raises(DecryptionError):
        receive(package, me=central, home=home, now=NOW)


def test_a_relay_reads_each_row_from_scratch_once_as_it_encrypts(big_world, tmp_path, monkeypatch):
    """One pass over the rows when a relay writes: no hash of an output's data file (the
    format has none, docs/format.md §9), so the scratch file is read once, by encryption."""
    import secxfer.chain.relay as relay_module

    network, files = big_world
    homes = _homes(network, tmp_path)
    k = network.secrets
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency",
                  out=tmp_path / "media", now=NOW)
    read, writing, rows_in = [0], [False], []
    original_read, original_write = datacheck.Positional.read_into, relay_module.write_package

    def counted(self, view, offset):
        filled = original_read(self, view, offset)
        read[0] += filled if writing[0] else 0
        return filled

    def writes(**kwargs):
        writing[0] = True
        try:
            return original_write(**kwargs)
        finally:
            writing[0] = False

    def observe(pkg):
        rows_in.append(sum(pkg.entries[n].size - len(pkg.prefix(a)) for a, n in ANNEX_FILES.items()))

    monkeypatch.setattr(datacheck.Positional, "read_into", counted)
    monkeypatch.setattr(relay_module, "write_package", writes)
    central = relay(sealed.package.path, key=k["central"], home=homes / "central", out=tmp_path / "media",
                    now=NOW, observe=observe)
    assert rows_in[0] > 1 << 20 and read[0] == rows_in[0]
    assert len(central.outputs) > 1


@settings(max_examples=100, deadline=None)
@given(data=st.binary(min_size=1, max_size=200), cuts=st.lists(st.integers(0, 200), min_size=2, max_size=6),
       sizes=st.lists(st.integers(1, 50), min_size=1, max_size=5))
def test_spans_read_straight_into_the_stream_give_the_same_bytes(data, cuts, sizes):
    """ChunkStream reads a span of the scratch file straight into its caller's buffer:
    the same bytes as the span's own, in any read sizes, empty spans included."""
    import io as _io

    from secxfer.chain.datacheck import Positional, Span

    source = Positional(_io.BytesIO(data))
    bounds = sorted(c % (len(data) + 1) for c in cuts)
    chunks = [b"<"]
    for lo, hi in zip(bounds, bounds[1:]):
        chunks += [Span(source, lo, hi), memoryview(b"|")]
    expected = b"".join(bytes(c) for c in chunks)
    stream = container.ChunkStream(container.pieces(chunks, direct=True))
    got, turn = bytearray(), 0
    while True:
        buffer = bytearray(sizes[turn % len(sizes)])
        count = stream.readinto(buffer)
        if not count:
            break
        got += buffer[:count]
        turn += 1
    assert bytes(got) == expected

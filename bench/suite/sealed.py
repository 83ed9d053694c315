"""A sealed package of N bytes, for bulk throughput and memory: the package layer measured directly.

``seal`` reads annex CSVs row by row, which is not what bulk throughput is about. This
fixture builds what ``seal`` would hand to the package layer for a month in which one
insurer has N bytes of rows in 別紙1 (one big data entry; 別紙2 and 別紙3 empty) and
runs ``secxfer.chain.package.write_package``: hash each data file, sign the manifest,
serialize the container, encrypt it to central, write it atomically to the medium,
read it back to check it, sign the outer statement. ``open_sealed`` runs
``secxfer.chain.package.receive`` at central: decrypt into anonymous scratch while
hashing the ciphertext, verify the carried directory, the manifest signature, the
leaf and its proof, the data file's hash and every row group. The row data is read
through an mmap of the plaintext file, as a relay reads its verified input. Not timed:
the agency's hash of the rows for its commitment (``seal`` computes it per insurer
before the package layer runs; the fixture computes it once when it is built).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import mmap
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

CODE = "131016"  # 千代田区
HEADER = "氏名(英字),住居地(地方公共団体コード),住居地,性別,生年月日,入国年月日(上陸年月日)\r\n".encode("cp932")
ROW_BYTES = 640  # keeps 1 GiB under the 2,000,000-row limit of one leaf
MIB = 1 << 20


@dataclass
class Fixture:
    folder: Path
    now: dt.datetime
    plain: Path  # header + rows: the file every tool encrypts
    rows: int
    rows_sha256: bytes  # the agency's commitment to the rows, computed by ``seal`` before the package layer
    agency: object  # participant secret keys
    central: object

    def home(self, pid: str) -> Path:
        return self.folder / "network" / "homes" / pid

    def save(self) -> None:
        facts = {"now": self.now.isoformat(), "rows": self.rows, "plain": str(self.plain),
                 "rows_sha256": self.rows_sha256.hex()}
        (self.folder / "fixture.json").write_text(json.dumps(facts))


def load(folder: Path) -> Fixture:
    """The fixture ``build`` left in ``folder`` (for a child process measuring memory)."""
    from secxfer.trust.secret_keys import load_secret_key

    facts = json.loads((folder / "fixture.json").read_text())
    keys = folder / "network" / "keys"
    return Fixture(
        folder=folder, now=dt.datetime.fromisoformat(facts["now"]), plain=Path(facts["plain"]), rows=facts["rows"],
        rows_sha256=bytes.fromhex(facts["rows_sha256"]),
        agency=load_secret_key(keys / "agency.key", passphrase=None),
        central=load_secret_key(keys / "central.key", passphrase=None),
    )


def write_rows_file(path: Path, size: int) -> int:
    """Write HEADER then CRLF rows of ROW_BYTES printable bytes, about ``size`` bytes; return the row count."""
    rows = max(1, (size - len(HEADER)) // ROW_BYTES)
    body = ROW_BYTES - 2
    with path.open("wb") as out:
        out.write(HEADER)
        per_block = MIB // ROW_BYTES
        written = 0
        while written < rows:
            count = min(per_block, rows - written)
            text = base64.b64encode(os.urandom(count * body * 3 // 4 + 3))
            out.write(b"".join(text[i * body : (i + 1) * body] + b"\r\n" for i in range(count)))
            written += count
    return rows


def build(folder: Path, size: int) -> Fixture:
    """A network with one insurer and a rows file of about ``size`` bytes (all untimed)."""
    from secxfer.testing.network import build_network

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    network = build_network(folder / "network", insurer_codes=[CODE], now=now)
    plain = folder / "plain.csv"
    rows = write_rows_file(plain, size)
    from secxfer.chain.provenance import rows_digest

    with plain.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        digest = rows_digest(mapped[len(HEADER):])
    fixture = Fixture(folder=folder, now=now, plain=plain, rows=rows, rows_sha256=digest,
                      agency=network.secrets["agency"], central=network.secrets["central"])
    fixture.save()
    return fixture


class FileChunks:
    """The plaintext file as a re-iterable series of 1 MiB chunks read on demand.

    The package layer walks its data chunks more than once (size, hash, encryption);
    each walk re-reads the file into one reused buffer, so nothing of the input stays
    resident. Used where memory is measured; throughput maps the file instead.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._buffer = bytearray(MIB)

    def __iter__(self):
        # One buffer for every chunk: each consumer is done with a chunk before it asks for the next.
        view = memoryview(self._buffer)
        with self._path.open("rb", buffering=0) as handle:
            while count := handle.readinto(view):
                yield view[:count]


def seal_package(fixture: Fixture, out: Path, *, streamed: bool = False):
    """Sign and encrypt the rows file as the agency's package for central (package layer only).

    ``streamed`` reads the rows from the file on demand (:class:`FileChunks`) instead
    of mapping it, so the process's resident size shows the package layer alone.
    """
    from secxfer.chain import media
    from secxfer.chain.manifest import Commitment, Manifest
    from secxfer.chain.package import write_package
    from secxfer.chain.provenance import SALT_BYTES, Leaf, build_tree, rows_digest
    from secxfer.chain.trustlink import current_bundle

    agency = fixture.agency
    home = fixture.home("agency")
    bundle, directory = current_bundle(home, fixture.now)
    with fixture.plain.open("rb") as handle:
        # Not closed explicitly: the package layer may still hold views into it; it
        # goes when the last view does.
        view = memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
    rows = view[len(HEADER):]
    empty = rows_digest(b"")
    leaf = Leaf(code=CODE, salt=os.urandom(SALT_BYTES), rows=(fixture.rows, 0, 0),
                rows_sha256=(fixture.rows_sha256, empty, empty))
    root, carried = build_tree([leaf])
    commitment = Commitment(
        delivery_id=os.urandom(16).hex(), profile="default", newlines=("crlf", "crlf", "crlf"),
        prefixes=(HEADER, HEADER, HEADER), total_rows=(fixture.rows, 0, 0), covered=(CODE,), merkle_root=root,
    )
    manifest = Manifest(
        hop=0, package_id=os.urandom(16).hex(), sender=agency.participant_id, sender_keyid=agency.signing_keyid,
        recipient="central", recipient_keys=(), period="2026-10", sequence=1, created=fixture.now,
        rehearsal=False, directory_version=directory.version, commitment=commitment, files=(), leaves_sha256=b"",
    )
    # The data file is the header then the rows: exactly the plaintext file.
    files = {1: FileChunks(fixture.plain) if streamed else [HEADER, rows], 2: [HEADER], 3: [HEADER]}
    return write_package(
        folder=media.medium_folder(out, agency.participant_id, "central"), sender=agency, directory=directory,
        bundle=bundle, previous=(), manifest=manifest, leaves=carried, files=files,
    )


def open_sealed(fixture: Fixture, package: Path, scratch_home: Path) -> int:
    """Decrypt and verify ``package`` at central in a fresh copy of central's home; return the rows."""
    from secxfer.chain.package import receive

    reset_home(fixture, scratch_home)
    with receive(package, me=fixture.central, home=scratch_home, now=fixture.now) as received:
        return sum(c.leaf.rows[0] for c in received.leaves)


def relay_sealed(fixture: Fixture, package: Path, scratch_home: Path, out: Path) -> int:
    """Relay ``package`` at central (a fresh copy of its home) into ``out`` (the caller empties it):
    receive, then one package per federation; returns how many were written."""
    from secxfer.chain.relay import relay_without_trail as relay

    reset_home(fixture, scratch_home)
    return len(relay(package, key=fixture.central, home=scratch_home, out=out, now=fixture.now).outputs)


def reset_home(fixture: Fixture, target: Path) -> None:
    """A fresh copy of central's home (its trust store, nothing seen yet), so replays are not refused."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(fixture.home("central"), target)

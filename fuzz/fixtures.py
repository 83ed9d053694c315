"""Fixed keys, roots and directories the fuzz targets check inputs against.

Everything comes from TEST KEY material in the repository (``tests/vectors`` and
``keys-example``) and a fixed clock, so a crash found once reproduces anywhere.
Loaded lazily and once per process: a target's cost should be its parser's.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import hashlib
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO / "tests" / "vectors"
EXAMPLE = REPO / "keys-example"
GOOD_VECTOR = "2026-10_fed-13_to_mun-131016_8332f4ef.age"
# The vectors were made at 2026-11-02T01:00Z; keys-example is valid until 2036.
NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.timezone.utc)


@functools.cache
def vector_key():
    """mun-131016's TEST key: the recipient of every package vector."""
    from secxfer.trust.secret_keys import load_secret_key

    return load_secret_key(VECTORS / "mun-131016.key")


@functools.cache
def vector_root() -> bytes:
    return (VECTORS / "root.json").read_bytes()


@functools.cache
def identities() -> tuple:
    """The identities the age targets decrypt with: the vectors' X25519 key and a hybrid one."""
    from secxfer.age import HybridIdentity

    seed = hashlib.sha256(b"secxfer-fuzz-hybrid").digest()
    return (vector_key().encryption_identity, HybridIdentity(seed))


@functools.cache
def good_container() -> bytes:
    """The plaintext container of the good package vector."""
    from secxfer.age import decrypt_bytes

    return decrypt_bytes([vector_key().encryption_identity], (VECTORS / GOOD_VECTOR).read_bytes())


@functools.cache
def good_entries() -> dict[str, bytes]:
    from secxfer.chain import container

    return {name: bytes(entry.data) for name, entry in container.parse(good_container()).items()}


@functools.cache
def vector_directory():
    """The vectors' key directory, verified under their root."""
    from secxfer.chain.trustlink import unpack_bundle
    from secxfer.trust.store import apply_bundle, pin_root

    state = pin_root(vector_root(), now=NOW)
    return apply_bundle(state, unpack_bundle(good_entries()["trust"]), NOW)[1]


@functools.cache
def vector_commitment():
    from secxfer.chain.verify import verify_chain

    envelopes = [good_entries()[f"manifest-{i}"] for i in range(3)]
    return verify_chain(envelopes, vector_directory(), "mun-131016", now=NOW).commitment


@functools.cache
def example_state():
    """A trust state that pinned keys-example's root and imported its directory."""
    from secxfer.trust.store import apply_directory, pin_root

    state = pin_root((EXAMPLE / "root.json").read_bytes(), now=NOW)
    return apply_directory(state, (EXAMPLE / "directory.json").read_bytes(), NOW)


@functools.cache
def example_root():
    from secxfer.trust.store import current_root

    return current_root(example_state()[0])


def example_directory():
    return example_state()[1]


@functools.cache
def scratch() -> Path:
    """A private folder for targets that need files (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="secxfer-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@functools.cache
def receiver_home() -> Path:
    """mun-131016's home: the vectors' root pinned, their directory imported."""
    from secxfer.chain.trustlink import load_bundle_into_store, unpack_bundle

    home = scratch() / "home"
    load_bundle_into_store(home, unpack_bundle(good_entries()["trust"]), NOW, anchor=vector_root())
    return home


@functools.cache
def ledger_world() -> dict:
    """A two-municipality network run through the ledger at the fixed clock: homes with
    evidence, logs and checkpoints, a return medium with sealed receipts and an
    aggregate, and the full directory everything verifies against."""
    import warnings

    from secxfer.domain.sample import generate_sample
    from secxfer.ledger import aggregate, recorded
    from secxfer.testing.network import build_network
    from secxfer.trust.store import TrustStore

    root = scratch() / "ledger"
    codes = ["131016", "131024"]
    net = build_network(root / "net", insurer_codes=codes, now=NOW)
    sample = generate_sample(root / "source", period="2026-10", rows=30, seed=3, insurers=codes)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k, media, back = net.secrets, root / "media", root / "returns"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sealed = recorded.seal(annex_files=files, period="2026-10", key=k["agency"], home=net.home("agency"), out=media, now=NOW)
        central = recorded.relay(sealed.package.path, key=k["central"], home=net.home("central"), out=media,
                                 receipts_out=back, now=NOW)
        fed_pkg = next(p.path for p in central.outputs if p.recipient == "fed-13")
        fed = recorded.relay(fed_pkg, key=k["fed-13"], home=net.home("fed-13"), out=media, receipts_out=back, now=NOW)
        mine = next(p.path for p in fed.outputs if p.recipient == "mun-131016")
        recorded.open_package(mine, key=k["mun-131016"], home=net.home("mun-131016"), out=root / "opened",
                              receipts_out=back, now=NOW)
        aggregate.forward("2026-10", key=k["fed-13"], home=net.home("fed-13"), out=back, now=NOW)
    return {"net": net, "directory": TrustStore(net.home("central")).current_directory(NOW), "returns": back}

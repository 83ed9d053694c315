"""The reader's check order of docs/format.md §10.2, pinned where two readers could differ.

A package failing two checks at once must yield the error of the earlier step, and so
the receipt disposition of that class; the outer statement and the medium's index are
bound to the last manifest (§4.2, §4.3); the age header's recipients are the manifest's
(§10.4, grease ignored); consent is checked on the documented dates, in JST (§10.3).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import msgspec
import pytest

from secxfer.age import decrypt_bytes, encrypt_bytes
from secxfer.age.format import Stanza
from secxfer.chain import media
from secxfer.chain.manifest import OUTER_KIND, OuterStatement, encode
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.package import write_index
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.chain.verify import verify_consent
from secxfer.domain.counts import RowCounts
from secxfer.domain.sample import generate_sample
from secxfer.errors import ConsentError, IntegrityError, NotForUsError, ReplayError
from secxfer.ledger.receipts import disposition_for
from secxfer.testing.network import build_network
from secxfer.trust.directory.entries import Consent
from secxfer.trust.signing import SignedDocument, sign_document

CODES = ["131016", "131024", "141003"]
ME, SIBLING = "mun-131016", "mun-131024"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("order")
    network = build_network(root, insurer_codes=CODES, now=NOW)
    sample = generate_sample(root / "source", period="2026-10", rows=120, seed=5, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    homes = root / "homes"
    k = network.secrets
    out = root / "media"
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency", out=out, now=NOW)
    central = relay(sealed.package.path, key=k["central"], home=homes / "central", out=out, now=NOW)
    fed_pkg = next(p for p in central.outputs if p.recipient == "fed-13")
    fed = relay(fed_pkg.path, key=k["fed-13"], home=homes / "fed-13", out=out, now=NOW)
    mine = next(p for p in fed.outputs if p.recipient == ME)
    sibling = next(p for p in fed.outputs if p.recipient == SIBLING)
    return network, mine, sibling


def home_of(world, tmp_path, pid=ME) -> Path:
    network = world[0]
    home = tmp_path / "home" / pid
    if not home.exists():
        shutil.copytree(network.home(pid), home)
    return home


def open_as(world, tmp_path, package, pid=ME, out="out"):
    network = world[0]
    return open_package(package, key=network.secrets[pid], home=home_of(world, tmp_path, pid), out=tmp_path / out,
                        now=NOW)


def refused(world, tmp_path, package, cls, pid=ME):
    with pytest.raises(IntegrityError) as caught:
        open_as(world, tmp_path, package, pid)
    assert type(caught.value) is cls or isinstance(caught.value, cls), caught.value
    assert not (tmp_path / "out").exists()
    return caught.value


def placed(tmp_path, package, name=None, sidecar: bytes | None = None, data: bytes | None = None) -> Path:
    """The package (or ``data``) in a folder of its own, with ``sidecar`` as its .sig if given."""
    folder = tmp_path / "medium"
    folder.mkdir(exist_ok=True)
    path = folder / (name or package.path.name)
    path.write_bytes(data if data is not None else package.path.read_bytes())
    if sidecar is not None:
        Path(str(path) + media.SIDECAR_SUFFIX).write_bytes(sidecar)
    return path


def sidecar_of(package) -> bytes:
    return Path(str(package.path) + media.SIDECAR_SUFFIX).read_bytes()


# -- two failures at once: the earlier step decides ----------------------------------------


def test_not_for_us_comes_before_a_broken_outer_signature(world, tmp_path):
    """Step 8 (addressee) before step 14 (outer statement): re-encrypted to the sibling,
    with this package's .sig beside it (which no longer matches the file either)."""
    network, mine, _ = world
    plain = decrypt_bytes([network.secrets[ME].encryption_identity], mine.path.read_bytes())
    forwarded = encrypt_bytes([network.secrets[SIBLING].encryption_identity.recipient], plain)
    path = placed(tmp_path, mine, sidecar=sidecar_of(mine), data=forwarded)
    error = refused(world, tmp_path, path, NotForUsError, pid=SIBLING)
    assert disposition_for(error) == "not-for-us"


def test_a_broken_outer_signature_comes_before_replay(world, tmp_path):
    """Step 14 (outer statement) before step 16 (replay): a package opened here already,
    offered again with another package's .sig, is reported as tampered, not as a replay."""
    _, mine, sibling = world
    open_as(world, tmp_path, mine.path, out="first")
    with pytest.raises(ReplayError):
        open_as(world, tmp_path, mine.path)
    path = placed(tmp_path, mine, sidecar=sidecar_of(sibling))
    error = refused(world, tmp_path, path, IntegrityError)
    assert not isinstance(error, ReplayError) and disposition_for(error) == "integrity-failed"


def test_the_cli_exits_3_with_the_earlier_steps_message(world, tmp_path, run_cli, monkeypatch):
    network, mine, sibling = world
    path = placed(tmp_path, mine, sidecar=sidecar_of(sibling))
    monkeypatch.setenv("SECXFER_HOME", str(home_of(world, tmp_path)))
    _, err = run_cli("open", path, "--key", network.key_path(ME), "--out", tmp_path / "out", code=3)
    assert "describes another package" in err
    assert not (tmp_path / "out").exists()


# -- g: the outer statement and the index are bound to the last manifest -------------------


def _outer(package, **changes) -> OuterStatement:
    """The package's outer statement as its sender signed it, with ``changes``."""
    statement = msgspec.json.decode(SignedDocument.decode(sidecar_of(package)).payload, type=OuterStatement)
    return msgspec.structs.replace(statement, **changes)


def test_an_outer_statement_signed_by_the_sender_for_another_package_id_is_refused(world, tmp_path):
    """Same file name, size and hash, valid signature by fed-13 — but it names another
    package: before §4.2's binding this passed."""
    network, mine, sibling = world
    statement = _outer(mine, package_id=sibling.package_id)
    forged = sign_document(OUTER_KIND, encode(statement), [network.secrets["fed-13"]])
    path = placed(tmp_path, mine, sidecar=forged)
    error = refused(world, tmp_path, path, IntegrityError)
    assert "describes another package" in str(error)


def test_an_outer_statement_as_written_by_the_sender_opens(world, tmp_path):
    network, mine, _ = world
    resigned = sign_document(OUTER_KIND, encode(_outer(mine)), [network.secrets["fed-13"]])
    result = open_as(world, tmp_path, placed(tmp_path, mine, sidecar=resigned))
    assert result.outer_signature_checked


def test_the_media_index_entry_must_match_the_last_manifest(world, tmp_path):
    network, mine, _ = world
    path = placed(tmp_path, mine, sidecar=sidecar_of(mine))
    wrong_rows = msgspec.structs.replace(mine.index_entry, rows=RowCounts(0, 0, 0))
    write_index(path.parent, network.secrets["fed-13"], [wrong_rows])
    error = refused(world, tmp_path, path, IntegrityError)
    assert "index" in str(error)
    write_index(path.parent, network.secrets["fed-13"], [mine.index_entry])
    assert open_as(world, tmp_path, path).rows


# -- h: the recipient set against the age header --------------------------------------------


class Grease:
    """A recipient of a type nobody knows: age's grease stanza."""

    def wrap(self, file_key: bytes, rng=None) -> list[Stanza]:
        return [Stanza(type="grease-4X", args=("Zz",), body=b"\x01" * 21)]


def test_a_file_key_also_wrapped_to_the_relay_is_refused(world, tmp_path):
    network, mine, _ = world
    k = network.secrets
    plain = decrypt_bytes([k[ME].encryption_identity], mine.path.read_bytes())
    also = encrypt_bytes([k[ME].encryption_identity.recipient, k["fed-13"].encryption_identity.recipient], plain)
    error = refused(world, tmp_path, placed(tmp_path, mine, data=also), IntegrityError)
    assert "names 1" in str(error) and disposition_for(error) == "integrity-failed"


def test_grease_stanzas_are_ignored(world, tmp_path):
    network, mine, _ = world
    k = network.secrets
    plain = decrypt_bytes([k[ME].encryption_identity], mine.path.read_bytes())
    greased = encrypt_bytes([Grease(), k[ME].encryption_identity.recipient, Grease()], plain)
    assert open_as(world, tmp_path, placed(tmp_path, mine, data=greased)).rows


# -- d: consent on the documented dates, in JST -----------------------------------------------


def _with_consent(world, tmp_path, consent: Consent):
    network, mine, _ = world
    from secxfer.trust.store import TrustStore

    directory = TrustStore(home_of(world, tmp_path)).current_directory(NOW)
    participants = tuple(msgspec.structs.replace(p, consent=consent) if p.id == ME else p
                         for p in directory.participants)
    return msgspec.structs.replace(directory, participants=participants)


def _leaves(world, tmp_path):
    from secxfer.chain.package import receive

    network = world[0]
    with receive(world[1].path, me=network.secrets[ME], home=home_of(world, tmp_path), now=NOW,
                 check_replay=False) as pkg:
        return pkg.leaves


JST_MIDNIGHT = dt.datetime(2026, 10, 1, 15, 0, tzinfo=dt.timezone.utc)  # 2026-10-02 00:00 JST


def test_consent_when_sealed_is_judged_on_the_jst_date(world, tmp_path):
    leaves = _leaves(world, tmp_path)
    directory = _with_consent(world, tmp_path, Consent(filed_on=dt.date(2026, 10, 2)))
    later = JST_MIDNIGHT + dt.timedelta(days=3)
    verify_consent(directory, ME, leaves, JST_MIDNIGHT, later)  # sealed 00:00 JST on the filing day
    with pytest.raises(ConsentError) as caught:  # one second earlier: the day before, in Japan
        verify_consent(directory, ME, leaves, JST_MIDNIGHT - dt.timedelta(seconds=1), later)
    assert disposition_for(caught.value) == "consent-refused"
    with pytest.raises(ConsentError):  # a relay refuses rows sealed without consent too
        verify_consent(directory, "fed-13", leaves, JST_MIDNIGHT - dt.timedelta(seconds=1), later)


def test_withdrawal_is_exclusive_and_a_municipality_checks_its_own_clock(world, tmp_path):
    leaves = _leaves(world, tmp_path)
    directory = _with_consent(world, tmp_path, Consent(filed_on=dt.date(2026, 1, 1),
                                                       withdrawn_on=dt.date(2026, 10, 2)))
    sealed = JST_MIDNIGHT - dt.timedelta(days=5)
    verify_consent(directory, ME, leaves, sealed, JST_MIDNIGHT - dt.timedelta(seconds=1))  # 23:59:59 on the 1st
    with pytest.raises(ConsentError):  # in force until the day before the withdrawal date
        verify_consent(directory, ME, leaves, sealed, JST_MIDNIGHT)
    verify_consent(directory, "fed-13", leaves, sealed, JST_MIDNIGHT)  # a relay withholds instead (§10.3)


# -- step 5 before step 6: the container's grammar before the carried bundle ------------------


def test_a_gap_in_the_manifests_is_a_container_error_even_with_a_bad_bundle(world, tmp_path):
    """manifest-0, manifest-2 (no manifest-1) is refused at step 5 (FormatError), before
    the carried bundle (here garbage, which step 6 would refuse) is even inflated."""
    import zlib

    from secxfer.errors import FormatError
    from tests.mutation_container import entries_of, pack

    network, mine, _ = world
    k = network.secrets
    plain = decrypt_bytes([k[ME].encryption_identity], mine.path.read_bytes())
    entries = [(n, zlib.compress(b"not a bundle") if n == "trust" else d)
               for n, d in entries_of(plain) if n != "manifest-1"]
    gapped = encrypt_bytes([k[ME].encryption_identity.recipient], pack(entries))
    error = refused(world, tmp_path, placed(tmp_path, mine, data=gapped), FormatError)
    assert "without a gap" in str(error)


def test_media_verify_holds_each_index_entry_against_the_outer_statement(world, tmp_path):
    """format.md §4.3 without a secret key: an index entry with the right hash but another
    package id is reported (before, only the hash was compared)."""
    from secxfer.chain.inspect import verify_media

    network, mine, _ = world
    path = placed(tmp_path, mine, sidecar=sidecar_of(mine))
    write_index(path.parent, network.secrets["fed-13"], [mine.index_entry])
    assert verify_media(path.parent, home=home_of(world, tmp_path)).ok
    other = msgspec.structs.replace(mine.index_entry, package_id="0" * 32)
    write_index(path.parent, network.secrets["fed-13"], [other])
    report = verify_media(path.parent, home=home_of(world, tmp_path))
    assert not report.ok and "index" in report.lines[0]


# -- the documented disposition of each error class ------------------------------------------


def _documented_dispositions() -> dict[str, str]:
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "format.md").read_text(encoding="utf-8")
    table = text.split("### 10.2 The check order", 1)[1].split("\n\n", 3)[2]
    found = {}
    for line in table.splitlines()[2:]:
        classes, disposition = line.strip("|").rsplit("|", 1)
        for name in re.findall(r"`([A-Z][A-Za-z]+Error)`", classes):
            found[name] = disposition.strip().strip("`")
    return found


def test_each_documented_error_class_yields_the_documented_disposition():
    import secxfer.chain.verify
    import secxfer.errors
    import secxfer.merkle
    import secxfer.trust.errors

    documented = _documented_dispositions()
    assert len(documented) >= 15 and documented["ReplayError"] == "replayed"
    modules = (secxfer.errors, secxfer.trust.errors, secxfer.merkle, secxfer.chain.verify)
    for name, disposition in documented.items():
        module = next(m for m in modules if hasattr(m, name))
        assert disposition_for(getattr(module, name)("x")) == disposition, name


# -- §1: one byte form per document ---------------------------------------------------------------


def test_a_manifest_with_a_duplicate_key_is_refused_even_when_signed(world, tmp_path):
    """The sender signs `{"hop":2,"format":…,"hop":2,…}`: the same value as its real
    manifest, another byte form. A reader that keeps the first key and one that keeps the
    last could differ; both MUST refuse it (FormatError at step 7.3)."""
    from secxfer.chain.manifest import MANIFEST_KIND
    from secxfer.errors import FormatError
    from tests.mutation_container import entries_of, pack

    network, mine, _ = world
    k = network.secrets
    plain = decrypt_bytes([k[ME].encryption_identity], mine.path.read_bytes())
    entries = entries_of(plain)
    last = SignedDocument.decode(dict(entries)["manifest-2"])
    doubled = b'{"hop":2,' + bytes(last.payload)[1:]
    resigned = sign_document(MANIFEST_KIND, doubled, [k["fed-13"]])
    entries = [(n, resigned if n == "manifest-2" else d) for n, d in entries]
    again = encrypt_bytes([k[ME].encryption_identity.recipient], pack(entries))
    error = refused(world, tmp_path, placed(tmp_path, mine, data=again), FormatError)
    assert "canonical" in str(error)

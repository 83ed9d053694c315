"""Directory excerpts: the signed header with chosen entries and their inclusion proofs."""

from __future__ import annotations

from base64 import b64encode
from datetime import date, timedelta

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_trust_support import (
    NOW,
    example_directory,
    example_key,
    example_root,
    fresh,
    signed_small,
    small_directory,
    small_root,
)

from secxfer import merkle
from secxfer.errors import FormatError, IntegrityError, UsageError
from secxfer.trust import make_excerpt, read_directory_file, verify_directory
from secxfer.trust.authoring import draft_bytes, next_version, record_consent, sign_directory
from secxfer.trust.codec import encode
from secxfer.trust.directory.excerpt import Excerpter, excerpt_ids, merge_excerpts
from secxfer.trust.directory.file import DirectoryFile, DirectoryLeaf, LeafProof, leaf_digest, leaves_of
from secxfer.trust.errors import UnknownParticipantError
from secxfer.trust.root import decode_root_unverified

ROOT = small_root()
FULL = read_directory_file(signed_small())
FULL_DIRECTORY = verify_directory(FULL, ROOT, now=NOW)
FULL_DIRECTORY_SIZE = len(FULL.leaves)


def excerpt_of(*only: str, file: DirectoryFile = FULL) -> DirectoryFile:
    return make_excerpt(file, only)


def swap_leaf(file: DirectoryFile, position: int, leaf: DirectoryLeaf, proof: LeafProof | None = None) -> DirectoryFile:
    leaves = list(file.leaves)
    leaves[position] = leaf
    proofs = list(file.proofs or ())
    if proof is not None:
        proofs[position] = proof
    return msgspec.structs.replace(file, leaves=tuple(leaves), proofs=tuple(proofs))


def position_of(file: DirectoryFile, pid: str) -> int:
    return next(i for i, leaf in enumerate(file.leaves) if msgspec.json.decode(leaf.participant)["id"] == pid)


def test_an_excerpt_verifies_and_answers_for_its_entries():
    excerpt = excerpt_of("mun-131016")
    directory = verify_directory(excerpt.encode(), ROOT, now=NOW)
    assert directory.is_excerpt and not verify_directory(FULL, ROOT, now=NOW).is_excerpt
    assert [p.id for p in directory.participants] == ["agency", "central", "fed-13", "mun-131016"]
    assert directory.version == 1 and directory.expires == FULL_DIRECTORY.expires
    assert directory.consent_in_force("131016", date(2025, 6, 1))
    assert [p.id for p in directory.municipalities_of("fed-13")] == ["mun-131016"]
    assert [p.id for p in directory.covered_municipalities(date(2025, 6, 1))] == ["mun-131016"]
    assert directory.encryption_recipients("mun-131016", NOW)
    directory.require_signing_key("central", example_key("central").signing_public_key, NOW, now=NOW)
    assert directory.signer_of(example_key("fed-13").signing_keyid).id == "fed-13"
    with pytest.raises(UnknownParticipantError, match="excerpt of key directory v1"):
        directory.participant("mun-141003")
    assert not directory.consent_in_force("141003", date(2025, 6, 1))  # absent, so not known to be in force
    assert excerpt.header == FULL.header  # the very signed header of the full directory


def test_the_example_excerpt_verifies_under_the_example_root():
    from test_trust_support import EXAMPLE

    root = decode_root_unverified(example_root())[1]
    data = (EXAMPLE / "directory-excerpt-mun-131016.json").read_bytes()
    directory = verify_directory(data, root, now=NOW)
    assert [p.id for p in directory.participants] == ["agency", "central", "fed-13", "mun-131016"]
    assert read_directory_file(data).header == read_directory_file(example_directory()).header
    assert len(data) < len(example_directory()) // 5


def test_excerpt_holds_parents_agency_and_central():
    assert excerpt_ids(["mun-271004", "fed-01"]) == {"mun-271004", "fed-27", "fed-01", "agency", "central"}
    assert [p.id for p in verify_directory(excerpt_of("fed-14"), ROOT, now=NOW).participants] == ["agency", "central", "fed-14"]
    with pytest.raises(UnknownParticipantError, match="is not in key directory v1"):
        excerpt_of("mun-011002")  # neither it nor fed-01 is listed
    with pytest.raises(UsageError):
        excerpt_of("mun-14100")  # not a participant id


def test_an_entry_swapped_between_two_excerpts_is_refused():
    mine, theirs = excerpt_of("mun-131016"), excerpt_of("mun-141003")
    here, there = position_of(mine, "mun-131016"), position_of(theirs, "mun-141003")
    with pytest.raises(merkle.MerkleProofError, match="not in key directory v1"):
        verify_directory(swap_leaf(mine, here, theirs.leaves[there]), ROOT, now=NOW)
    # with its own proof the entry is genuine, but it arrives without its federation
    with pytest.raises(FormatError, match="its federation fed-14 is not in the directory"):
        verify_directory(swap_leaf(mine, here, theirs.leaves[there], theirs.proofs[there]), ROOT, now=NOW)


@pytest.mark.parametrize("forge", ["flip", "shorter", "longer", "index", "beyond", "foreign"])
def test_a_forged_proof_is_refused(forge):
    excerpt = excerpt_of("mun-131016")
    i = position_of(excerpt, "mun-131016")
    proof = excerpt.proofs[i]
    other = excerpt.proofs[i - 1]
    forged = {
        "flip": LeafProof(index=proof.index, path=(bytes([proof.path[0][0] ^ 1]) + proof.path[0][1:], *proof.path[1:])),
        "shorter": LeafProof(index=proof.index, path=proof.path[:-1]),
        "longer": LeafProof(index=proof.index, path=(*proof.path, proof.path[-1])),
        "index": LeafProof(index=proof.index + 1, path=proof.path),
        "beyond": LeafProof(index=FULL_DIRECTORY_SIZE + 3, path=proof.path),
        "foreign": other,
    }[forge]
    with pytest.raises(IntegrityError):
        verify_directory(swap_leaf(excerpt, i, excerpt.leaves[i], forged), ROOT, now=NOW)


def test_an_excerpt_of_another_version_is_refused():
    v2 = next_version(small_directory(), issued=NOW, expires=NOW + timedelta(days=90))
    v2 = record_consent(v2, "mun-271004", filed_on=date(2025, 7, 1), federation=example_key("fed-27"), now=NOW)
    full2 = read_directory_file(signed_small(v2))
    old = excerpt_of("mun-131016")
    # the v1 entries and proofs under the v2 header: the tree changed, so the proofs fail
    grafted = msgspec.structs.replace(old, header=full2.header)
    with pytest.raises(IntegrityError, match="not in key directory v2"):
        verify_directory(grafted, ROOT, now=NOW)
    # and the v1 excerpt itself still verifies alone: refusing it is the store's rollback rule
    verify_directory(old, ROOT, now=NOW)


def test_an_excerpt_missing_a_parent_agency_or_central_is_refused():
    excerpter = Excerpter(FULL)
    whole = excerpter.excerpt(["mun-131016"])
    for missing, message in (("fed-13", "its federation fed-13"), ("agency", "lacks agency"), ("central", "lacks central")):
        keep = [i for i in range(len(whole.leaves)) if i != position_of(whole, missing)]
        cut = msgspec.structs.replace(
            whole, leaves=tuple(whole.leaves[i] for i in keep), proofs=tuple(whole.proofs[i] for i in keep)
        )
        with pytest.raises(FormatError, match=message):
            verify_directory(cut, ROOT, now=NOW)


def test_an_excerpt_claiming_an_extra_entry_is_refused():
    excerpt = excerpt_of("mun-131016")
    holder = excerpt_of("root-1")
    j = position_of(holder, "root-1")
    genuine, proof = holder.leaves[j], holder.proofs[j]
    # control: a genuine entry with its own proof may ride along
    extra = msgspec.structs.replace(excerpt, leaves=(*excerpt.leaves, genuine), proofs=(*excerpt.proofs, proof))
    assert "root-1" in {p.id for p in verify_directory(extra, ROOT, now=NOW).participants}
    # another key claimed for root-1 at root-1's place, or a new entry past the end
    entry = msgspec.json.decode(genuine.participant)
    entry["signing_keys"][0]["key"] = b64encode(fresh("root-1", label="intruder").signing_public_key).decode()
    forged = DirectoryLeaf(participant=msgspec.json.encode(entry))
    new = DirectoryLeaf(participant=leaves_of(small_directory())[-1].participant.replace(b"root-3", b"root-4"))
    beyond = LeafProof(index=FULL_DIRECTORY_SIZE, path=proof.path)
    for leaf, where in ((forged, proof), (new, beyond), (new, proof)):
        claimed = msgspec.structs.replace(excerpt, leaves=(*excerpt.leaves, leaf), proofs=(*excerpt.proofs, where))
        with pytest.raises(merkle.MerkleProofError):
            verify_directory(claimed, ROOT, now=NOW)


def test_excerpt_entries_out_of_order_or_twice_are_refused():
    excerpt = excerpt_of("mun-131016")
    twice = msgspec.structs.replace(excerpt, leaves=(*excerpt.leaves, excerpt.leaves[-1]), proofs=(*excerpt.proofs, excerpt.proofs[-1]))
    with pytest.raises(FormatError, match="out of order or listed twice"):
        verify_directory(twice, ROOT, now=NOW)
    backwards = msgspec.structs.replace(excerpt, leaves=excerpt.leaves[::-1], proofs=excerpt.proofs[::-1])
    with pytest.raises(FormatError, match="out of order"):
        verify_directory(backwards, ROOT, now=NOW)
    unproven = msgspec.structs.replace(excerpt, proofs=excerpt.proofs[:-1])
    with pytest.raises(FormatError, match="one proof per entry"):
        verify_directory(unproven, ROOT, now=NOW)


def test_a_full_directory_missing_or_adding_an_entry_is_refused():
    with pytest.raises(FormatError, match="header says"):
        verify_directory(msgspec.structs.replace(FULL, leaves=FULL.leaves[:-1]), ROOT, now=NOW)
    shuffled = (FULL.leaves[1], FULL.leaves[0], *FULL.leaves[2:])
    with pytest.raises(FormatError, match="not those its header commits to"):
        verify_directory(msgspec.structs.replace(FULL, leaves=shuffled), ROOT, now=NOW)


def test_a_leaf_carrying_another_municipalitys_enrollment_is_refused():
    file = read_directory_file(signed_small())
    a, b = position_of(file, "mun-131016"), position_of(file, "mun-141003")
    leaves = list(file.leaves)
    leaves[a] = DirectoryLeaf(participant=leaves[a].participant, enrollments=leaves[a].enrollments + leaves[b].enrollments)
    leaves[b] = DirectoryLeaf(participant=leaves[b].participant)
    payload = msgspec.json.decode(file.header.payload)
    payload["entries_root"] = merkle.merkle_root([leaf_digest(leaf) for leaf in leaves])
    from secxfer.trust.kinds import KIND_DIRECTORY
    from secxfer.trust.signing import SignedDocument, sign_document

    header = sign_document(KIND_DIRECTORY, msgspec.json.encode(payload), [example_key("root-1"), example_key("root-2")])
    forged = msgspec.structs.replace(file, header=SignedDocument.decode(header), leaves=tuple(leaves))
    with pytest.raises(FormatError, match="carries an enrollment of mun-141003"):
        verify_directory(forged, ROOT, now=NOW)


def test_excerpts_are_never_edited_or_signed():
    directory = verify_directory(excerpt_of("mun-131016"), ROOT, now=NOW)
    with pytest.raises(UsageError, match="excerpt"):
        next_version(directory, issued=NOW, expires=NOW + timedelta(days=1))
    with pytest.raises(UsageError, match="excerpt"):
        sign_directory(directory, [example_key("root-1"), example_key("root-2")])
    with pytest.raises(UsageError, match="excerpt"):
        draft_bytes(directory)


def test_merging_excerpts_and_cutting_from_an_excerpt():
    a, b = excerpt_of("mun-131016"), excerpt_of("mun-141003")
    merged = merge_excerpts(a, b)
    directory = verify_directory(merged, ROOT, now=NOW)
    assert [p.id for p in directory.participants] == ["agency", "central", "fed-13", "fed-14", "mun-131016", "mun-141003"]
    assert merge_excerpts(merged, a) == merged
    assert Excerpter(merged).excerpt(["mun-141003"]) == b  # an excerpt of an excerpt is the same excerpt
    with pytest.raises(UnknownParticipantError, match="this excerpt of key directory v1"):
        Excerpter(a).excerpt(["mun-141003"])
    with pytest.raises(UsageError):
        merge_excerpts(a, FULL)
    other = read_directory_file(signed_small(signers=("root-2", "root-3")))
    with pytest.raises(UsageError):
        merge_excerpts(a, excerpt_of("mun-131016", file=other))


def test_the_leaf_hash_frames_its_parts():
    leaf = FULL.leaves[position_of(FULL, "mun-131016")]
    moved = DirectoryLeaf(participant=leaf.participant + leaf.enrollments[0][:1], enrollments=(leaf.enrollments[0][1:],))
    assert leaf_digest(moved) != leaf_digest(leaf)
    assert leaf_digest(DirectoryLeaf(participant=b"x")) != merkle.leaf_hash(b"\x00\x00\x00\x01x\x00\x00\x00\x00")


@settings(max_examples=25, deadline=None)
@given(st.sets(st.sampled_from(["mun-131016", "mun-141003", "mun-271004", "fed-13", "central", "root-2"]), max_size=4))
def test_any_excerpt_verifies_and_holds_exactly_what_was_asked(only):
    excerpt = Excerpter(FULL).excerpt(only)
    directory = verify_directory(encode(excerpt), ROOT, now=NOW)
    assert {p.id for p in directory.participants} == excerpt_ids(only)
    full = {p.id: p for p in FULL_DIRECTORY.participants}
    assert all(full[p.id] == p for p in directory.participants)


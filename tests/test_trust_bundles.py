"""Full directories and excerpts in the trust store, in bundles, and at the chain's edge."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest
from test_trust_support import NOW, example_key, signed_small, signed_small_root, small_directory

from secxfer.chain.trustlink import current_bundle, directory_for_checks, load_bundle_into_store
from secxfer.errors import FormatError, NotFoundError, RollbackError
from secxfer.trust import make_excerpt, read_directory_file
from secxfer.trust.authoring import next_version, record_consent
from secxfer.trust.errors import UnknownParticipantError
from secxfer.trust.store import (
    TrustStore,
    apply_bundle,
    apply_directory,
    current_directory,
    export_bundle,
    make_bundle,
    pin_root,
    read_bundle,
)

V1_ROOT = signed_small_root()
FULL1 = signed_small()
V2 = record_consent(
    next_version(small_directory(), issued=NOW - timedelta(hours=1), expires=NOW + timedelta(days=90)),
    "mun-271004", filed_on=date(2025, 5, 1), federation=example_key("fed-27"), now=NOW - timedelta(minutes=30),
)
FULL2 = signed_small(V2)


def excerpt(full: bytes, *only: str) -> bytes:
    return make_excerpt(read_directory_file(full), only).encode()


def trusting(*files: bytes):
    state = pin_root(V1_ROOT, now=NOW)
    for data in files:
        state, _ = apply_directory(state, data, NOW)
    return state


def ids(directory) -> list[str]:
    return [p.id for p in directory.participants]


def test_an_excerpt_is_accepted_then_upgraded_by_the_full_directory():
    state = trusting(excerpt(FULL1, "mun-131016"))
    assert state.directory.is_excerpt and state.highest_directory_version == 1
    assert current_directory(state, NOW).is_excerpt
    upgraded, directory = apply_directory(state, FULL1, NOW)
    assert not upgraded.directory.is_excerpt and not directory.is_excerpt and len(directory.participants) == 11


def test_the_full_directory_is_kept_when_an_excerpt_of_its_version_arrives():
    state = trusting(FULL1)
    kept, directory = apply_directory(state, excerpt(FULL1, "mun-141003"), NOW)
    assert kept is state and not directory.is_excerpt and len(directory.participants) == 11


def test_excerpts_of_one_version_merge():
    state = trusting(excerpt(FULL1, "mun-131016"), excerpt(FULL1, "mun-141003"))
    assert ids(current_directory(state, NOW)) == ["agency", "central", "fed-13", "fed-14", "mun-131016", "mun-141003"]
    again, _ = apply_directory(state, excerpt(FULL1, "mun-131016"), NOW)
    assert again.directory == state.directory


@pytest.mark.parametrize(
    "held, offered",
    [("full", "excerpt"), ("excerpt", "full"), ("excerpt", "excerpt")],
)
def test_rollback_between_full_and_excerpt_forms_is_refused(held, offered):
    newer = FULL2 if held == "full" else excerpt(FULL2, "mun-131016")
    older = FULL1 if offered == "full" else excerpt(FULL1, "mun-131016")
    state = trusting(newer)
    with pytest.raises(RollbackError, match="older than v2"):
        apply_directory(state, older, NOW)


@pytest.mark.parametrize("held_full", [True, False])
def test_the_same_version_under_another_signed_header_is_refused(held_full):
    state = trusting(FULL1 if held_full else excerpt(FULL1, "mun-131016"))
    other = signed_small(signers=("root-2", "root-3"))
    for offered in (other, excerpt(other, "mun-131016")):
        with pytest.raises(RollbackError, match="differs"):
            apply_directory(state, offered, NOW)


def test_export_bundle_full_or_excerpt_round_trips():
    state = trusting(FULL1)
    full = export_bundle(state)
    small = export_bundle(state, only=["mun-271004"])
    assert len(small) < len(full) // 2
    assert read_bundle(full).directory == read_directory_file(FULL1)
    receiver, directory = apply_bundle(pin_root(V1_ROOT, now=NOW), small, NOW)
    assert directory.is_excerpt and ids(directory) == ["agency", "central", "fed-27", "mun-271004"]
    with pytest.raises(UnknownParticipantError):
        export_bundle(receiver, only=["mun-131016"])
    assert read_bundle(export_bundle(receiver, only=["mun-271004"])).directory == read_bundle(small).directory


def test_store_export_bundle_only(tmp_path):
    store = TrustStore(tmp_path)
    store.pin_root(V1_ROOT, now=NOW)
    store.import_directory(FULL1, NOW)
    bundle = store.export_bundle(only=["mun-141003"])
    assert read_bundle(bundle).directory.is_excerpt
    other = TrustStore(tmp_path / "other")
    other.pin_root(V1_ROOT, now=NOW)
    assert ids(other.import_bundle(bundle, NOW)) == ["agency", "central", "fed-14", "mun-141003"]
    assert not other.import_bundle(store.export_bundle(), NOW).is_excerpt  # the full one replaces it


def _home(tmp_path, name: str, *files: bytes):
    store = TrustStore(tmp_path / name)
    store.pin_root(V1_ROOT, now=NOW)
    for data in files:
        store.import_directory(data, NOW)
    return store.home


def test_current_bundle_cuts_an_excerpt_per_recipient(tmp_path):
    home = _home(tmp_path, "fed-13", FULL1)
    full, directory = current_bundle(home, NOW)
    small, same = current_bundle(home, NOW, only=["mun-131016"])
    assert same is directory and not directory.is_excerpt
    assert read_bundle(full).directory == read_directory_file(FULL1)
    assert ids(read_content_of(small)) == ["agency", "central", "fed-13", "mun-131016"]


def read_content_of(bundle: bytes):
    from secxfer.trust.directory.file import read_content

    return read_content(read_bundle(bundle).directory)[1]


def test_a_home_holding_an_excerpt_cannot_send_but_can_check(tmp_path):
    home = _home(tmp_path, "mun-131016", excerpt(FULL1, "mun-131016"))
    with pytest.raises(NotFoundError, match="only an excerpt"):
        current_bundle(home, NOW)
    assert directory_for_checks(home, None, NOW).is_excerpt


def test_load_bundle_into_store_by_header_version(tmp_path):
    full_home = _home(tmp_path, "fed", FULL1)
    small = make_bundle([V1_ROOT], excerpt(FULL1, "mun-131016"))
    assert not load_bundle_into_store(full_home, small, NOW).is_excerpt  # keeps the full one
    assert not TrustStore(full_home).load().directory.is_excerpt
    mun_home = _home(tmp_path, "mun", excerpt(FULL1, "mun-131016"))
    newer_small = make_bundle([V1_ROOT], excerpt(FULL2, "mun-131016"))
    assert load_bundle_into_store(mun_home, newer_small, NOW).version == 2
    assert load_bundle_into_store(mun_home, small, NOW).version == 2  # an older carried one: the newer is used
    with pytest.raises(RollbackError, match="differs"):  # a fork of v2 is not
        load_bundle_into_store(mun_home, make_bundle([V1_ROOT], excerpt(signed_small(V2, ("root-1", "root-3")), "mun-131016")), NOW)
    fresh = tmp_path / "fresh"
    assert load_bundle_into_store(fresh, small, NOW, anchor=V1_ROOT).is_excerpt


def test_directory_for_checks_reads_an_excerpt_bundle_file(tmp_path):
    path = tmp_path / "bundle.json"
    path.write_bytes(make_bundle([V1_ROOT], excerpt(FULL1, "mun-141003")))
    directory = directory_for_checks(tmp_path / "nohome", path, NOW)
    assert directory.is_excerpt and "mun-141003" in ids(directory)
    broken = msgspec.json.decode(path.read_bytes())
    broken["roots"] = []
    path.write_bytes(msgspec.json.encode(broken))
    with pytest.raises(FormatError, match="no root"):
        directory_for_checks(tmp_path / "nohome", path, NOW)


def test_a_cached_directory_still_freezes(tmp_path):
    from secxfer.errors import ExpiredError

    home = _home(tmp_path, "fed-27", FULL2)
    assert current_bundle(home, NOW)[1].version == 2  # verified once, then cached
    with pytest.raises(ExpiredError, match="expired"):
        current_bundle(home, V2.expires)
    with pytest.raises(ExpiredError, match="expired"):
        load_bundle_into_store(home, make_bundle([V1_ROOT], FULL2), V2.expires + timedelta(days=1))

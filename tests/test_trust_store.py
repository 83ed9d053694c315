"""The trust store: pure update rules (rollback, freeze, root chain) and persistence."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest
from test_trust_support import (
    FAR,
    NOW,
    example_directory,
    example_key,
    example_root,
    fresh,
    signed_small,
    signed_small_root,
    small_directory,
    small_root,
)

from secxfer.errors import ExpiredError, NotFoundError, RollbackError, UsageError
from secxfer.trust import new_root, sign_directory, sign_root
from secxfer.trust.errors import NotPinnedError, RootChainError, ThresholdError
from secxfer.trust.store import (
    TrustStore,
    apply_bundle,
    apply_directory,
    apply_root,
    apply_roots,
    current_directory,
    current_root,
    export_bundle,
    make_bundle,
    pin_root,
)

OLD = [example_key(p) for p in ("root-1", "root-2", "root-3")]
NEW = [fresh(f"root-{n}", label="gen2") for n in (4, 5, 6)]
NEWER = [fresh(f"root-{n}", label="gen3") for n in (7, 8, 9)]


def root_v(version, holders, signers, expires=FAR):
    root = new_root(version=version, expires=expires, keys=[h.signing_public_key for h in holders], threshold=2)
    return sign_root(root, signers)


V1 = signed_small_root()
V2 = root_v(2, NEW, [*OLD[:2], *NEW[:2]])
V3 = root_v(3, NEWER, [*NEW[:2], *NEWER[:2]])


def version(n, **kwargs):
    base = small_directory()
    directory = msgspec.structs.replace(base, version=n, **kwargs)
    return directory


def test_pin_then_import_then_same_again_is_a_no_op():
    state = pin_root(V1, now=NOW)
    state, directory = apply_directory(state, signed_small(version(1)), NOW)
    assert state.highest_directory_version == 1 and directory.version == 1
    again, _ = apply_directory(state, signed_small(version(1)), NOW)
    assert again == state
    state, directory = apply_directory(state, signed_small(version(3)), NOW)  # versions may skip
    assert directory.version == 3 and current_directory(state, NOW) == directory


def test_rollback_is_refused():
    state, _ = apply_directory(pin_root(V1, now=NOW), signed_small(version(2)), NOW)
    with pytest.raises(RollbackError, match="older than v2"):
        apply_directory(state, signed_small(version(1)), NOW)


def test_same_version_with_other_bytes_is_refused():
    state, _ = apply_directory(pin_root(V1, now=NOW), signed_small(version(2)), NOW)
    other = version(2, expires=FAR - timedelta(days=1))
    with pytest.raises(RollbackError, match="differs"):
        apply_directory(state, signed_small(other), NOW)
    other_signers = signed_small(version(2), signers=("root-2", "root-3"))  # same content, other signatures
    with pytest.raises(RollbackError, match="differs"):
        apply_directory(state, other_signers, NOW)


def test_expired_directory_is_refused_and_a_stale_one_freezes():
    state = pin_root(V1, now=NOW)
    expired = signed_small(version(1, expires=NOW))
    with pytest.raises(ExpiredError):
        apply_directory(state, expired, NOW)
    state, _ = apply_directory(state, expired, NOW - timedelta(days=1))
    with pytest.raises(ExpiredError):  # the stored one is refused once it expires
        current_directory(state, NOW)


def test_threshold_is_enforced_on_import():
    with pytest.raises(ThresholdError):
        apply_directory(pin_root(V1, now=NOW), signed_small(signers=("root-1",)), NOW)


def test_root_rotation_1_2_3_is_walked_and_directories_follow():
    state = pin_root(V1, now=NOW)
    state, _ = apply_directory(state, signed_small(version(5)), NOW)
    state = apply_roots(state, [V1, V2, V3], NOW)  # the known v1 is skipped
    assert current_root(state).version == 3 and state.previous_roots == (V1, V2)
    # the old directory was signed under root v1: no longer current
    with pytest.raises(NotFoundError, match="under root v3"):
        current_directory(state, NOW)
    under_v3 = msgspec.structs.replace(small_directory(), version=6, root_version=3)
    state, directory = apply_directory(state, sign_directory(under_v3, NEWER[:2]), NOW)
    assert directory.root_version == 3
    with pytest.raises(ThresholdError):  # the old root's directory cannot come back
        apply_directory(state, signed_small(version(5)), NOW)
    with pytest.raises(RollbackError, match="signed under root v1"):
        apply_directory(state, sign_directory(version(7), NEWER[:2]), NOW)


def test_a_skipped_or_badly_signed_root_is_refused():
    state = pin_root(V1, now=NOW)
    with pytest.raises(RootChainError):
        apply_root(state, root_v(3, OLD, OLD), NOW)
    with pytest.raises(ThresholdError):
        apply_root(state, V3, NOW)
    with pytest.raises(ThresholdError):
        apply_root(state, root_v(2, NEW, NEW), NOW)
    with pytest.raises(RollbackError, match="differs"):
        apply_root(apply_root(state, V2, NOW), root_v(2, NEW, [*OLD, *NEW]), NOW)


def test_expired_roots_may_be_walked_through_but_not_end_on():
    expired_v2 = root_v(2, NEW, [*OLD[:2], *NEW[:2]], expires=NOW - timedelta(days=1))
    v3 = root_v(3, NEWER, [*NEW[:2], *NEWER[:2]])
    state = pin_root(V1, now=NOW)
    with pytest.raises(ExpiredError):
        apply_root(state, expired_v2, NOW)
    assert current_root(apply_roots(state, [expired_v2, v3], NOW)).version == 3
    with pytest.raises(ExpiredError):
        pin_root(expired_v2, now=NOW)


def test_pinning_needs_the_roots_own_threshold():
    with pytest.raises(ThresholdError):
        pin_root(sign_root(small_root(), OLD[:1]), now=NOW)


def test_bundles_carry_roots_and_directory():
    state = apply_roots(pin_root(V1, now=NOW), [V2], NOW)
    under_v2 = msgspec.structs.replace(small_directory(), version=2, root_version=2)
    state, _ = apply_directory(state, sign_directory(under_v2, NEW[:2]), NOW)
    bundle = export_bundle(state)
    receiver, directory = apply_bundle(pin_root(V1, now=NOW), bundle, NOW)
    assert directory.version == 2 and current_root(receiver).version == 2
    # a bundle whose v1 differs from the pinned one is refused
    other_v1 = root_v(1, OLD, OLD)
    with pytest.raises(RollbackError, match="root v1"):
        apply_bundle(pin_root(V1, now=NOW), make_bundle([other_v1, V2], sign_directory(under_v2, NEW[:2])), NOW)


def test_store_persists_atomically(tmp_path):
    store = TrustStore(tmp_path)
    with pytest.raises(NotPinnedError):
        store.current_directory(NOW)
    store.pin_root(V1, now=NOW)
    store.pin_root(V1, now=NOW)  # the same root again is fine
    with pytest.raises(UsageError, match="already pinned"):
        store.pin_root(root_v(1, OLD, OLD), now=NOW)
    with pytest.raises(NotFoundError):
        store.current_directory(NOW)
    first = store.import_directory(signed_small(version(1)), NOW)
    stamp = store.path.stat().st_mtime_ns
    assert store.import_directory(signed_small(version(1)), NOW) == first
    assert store.path.stat().st_mtime_ns == stamp  # a no-op writes nothing
    store.import_directory(signed_small(version(2)), NOW)
    with pytest.raises(RollbackError):
        store.import_directory(signed_small(version(1)), NOW)
    reopened = TrustStore(tmp_path)
    assert reopened.current_directory(NOW).version == 2 and reopened.load().highest_directory_version == 2
    assert sorted(p.name for p in (tmp_path / "trust").iterdir()) == [".lock", "state.json"]
    assert (tmp_path / "trust" / "state.json").stat().st_mode & 0o077 == 0


def test_store_imports_the_example_set(tmp_path):
    store = TrustStore(tmp_path)
    store.pin_root(example_root(), now=NOW)
    directory = store.import_directory(example_directory(), NOW)
    assert len(directory.participants) == 3 + 2 + 47 + 6
    assert store.import_bundle(store.export_bundle(), NOW) == directory
    store.update_roots([example_root()], now=NOW)
    assert store.current_root().version == 1


def test_default_home_follows_the_environment(monkeypatch, tmp_path):
    from secxfer.trust.store import default_home

    monkeypatch.setenv("SECXFER_HOME", str(tmp_path))
    assert TrustStore().home == tmp_path
    monkeypatch.delenv("SECXFER_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_home() == tmp_path / "xdg" / "secxfer"

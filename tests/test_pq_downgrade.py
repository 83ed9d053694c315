"""Where the directory's policy requires hybrid keys, a package sealed to classic keys is refused."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from secxfer.age import HybridIdentity, X25519Identity
from secxfer.chain.verify import _require_policy_encryption
from secxfer.errors import SignatureError
from secxfer.trust.policy import make_policy


def directory(requires_from: int | None, version: int = 3):
    policy = make_policy({"municipality": requires_from}) if requires_from else None
    member = SimpleNamespace(role="municipality")
    return SimpleNamespace(policy=policy, version=version, participant=lambda pid: member)


def manifest(*keys: str):
    return SimpleNamespace(recipient_keys=keys, created=dt.datetime.now(dt.timezone.utc))


CLASSIC = X25519Identity.generate().recipient.encode()
HYBRID = HybridIdentity.generate().recipient.encode()


def test_classic_keys_refused_once_the_policy_requires_hybrid():
    with pytest.raises(SignatureError, match="hybrid"):
        _require_policy_encryption(directory(2), "mun-131016", manifest(CLASSIC))
    with pytest.raises(SignatureError):
        _require_policy_encryption(directory(2), "mun-131016", manifest(HYBRID, CLASSIC))


def test_hybrid_keys_pass_and_classic_pass_before_the_policy_applies():
    _require_policy_encryption(directory(2), "mun-131016", manifest(HYBRID))
    _require_policy_encryption(directory(4, version=3), "mun-131016", manifest(CLASSIC))
    _require_policy_encryption(directory(None), "mun-131016", manifest(CLASSIC))

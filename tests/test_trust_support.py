"""Shared helpers for the trust tests: the example TEST KEYS and small directories.

(Named test_trust_* so it lives with the trust tests; it holds no tests itself.)
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from secxfer.trust import (
    Directory,
    add_enrollments,
    add_participants,
    enroll,
    generate_participant,
    load_secret_key,
    new_directory,
    new_root,
    sign_directory,
    sign_root,
)
from secxfer.trust.directory.file import build_file
from secxfer.trust.ids import role_of

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "keys-example"
T0 = datetime(2025, 1, 6, tzinfo=timezone.utc)  # when the example keys were made
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)
FAR = datetime(2036, 1, 1, tzinfo=timezone.utc)


@functools.cache
def example_key(pid: str):
    return load_secret_key(EXAMPLE / "keys" / f"{pid}.key")


@functools.cache
def example_card(pid: str) -> bytes:
    return (EXAMPLE / "cards" / f"{pid}.card").read_bytes()


def example_root() -> bytes:
    return (EXAMPLE / "root.json").read_bytes()


def example_directory() -> bytes:
    return (EXAMPLE / "directory.json").read_bytes()


def seeded_rng(label: str):
    """Deterministic bytes for test keys that are not in keys-example."""
    counter = 0

    def rng(n: int) -> bytes:
        nonlocal counter
        out = b""
        while len(out) < n:
            out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
            counter += 1
        return out[:n]

    return rng


def fresh(pid: str, *, label: str = "", now: datetime = T0):
    return generate_participant(pid, role_of(pid), now=now, rng=seeded_rng(pid + label))


ROOTS = ("root-1", "root-2", "root-3")
STAFF = ("agency", "central", "fed-13", "fed-14", "fed-27")


def small_root(version: int = 1, holders=ROOTS, threshold: int = 2, expires: datetime = FAR):
    return new_root(version=version, expires=expires, keys=[example_key(r).signing_public_key for r in holders], threshold=threshold)


def small_directory(
    *,
    version: int = 1,
    issued: datetime = T0,
    expires: datetime = FAR,
    consents: dict[str, tuple[date, date | None] | None] | None = None,
) -> Directory:
    """Roots, agency, central, three federations and three municipalities (example keys)."""
    consents = consents if consents is not None else {
        "mun-131016": (date(2020, 4, 1), None),
        "mun-141003": (date(2020, 4, 1), date(2025, 7, 1)),
        "mun-271004": None,
    }
    directory = new_directory(version=version, issued=issued, expires=expires, root_version=1)
    directory = add_participants(directory, [example_card(p) for p in (*ROOTS, *STAFF)])
    records = []
    for pid, consent in consents.items():
        filed, withdrawn = consent if consent else (None, None)
        federation = example_key(f"fed-{pid[4:6]}")
        records.append(enroll(federation, example_card(pid), filed_on=filed, withdrawn_on=withdrawn, now=T0))
    return add_enrollments(directory, records)


def signed_small(directory: Directory | None = None, signers=("root-1", "root-2")) -> bytes:
    return sign_directory(directory or small_directory(), [example_key(r) for r in signers])


def signed_anyway(directory: Directory | dict, signers=("root-1", "root-2")) -> bytes:
    """What a careless root holder would publish: ``directory`` (a value, or its fields as
    JSON-ready dict) root-signed WITHOUT the content checks that sign_directory runs."""
    import msgspec

    if isinstance(directory, dict):
        directory = msgspec.json.decode(json.dumps(directory, ensure_ascii=False).encode(), type=Directory)
    return build_file(directory, [example_key(r) for r in signers]).encode()


def signed_small_root(**kwargs) -> bytes:
    return sign_root(small_root(**kwargs), [example_key(r) for r in ("root-1", "root-2")])


def days(n: int) -> timedelta:
    return timedelta(days=n)

"""A complete TEST network, never for real data: keys, cards, enrollments, a signed
directory and pinned homes for a run.

Used by the national demo, the tests, the benches and ``tools/``. Every key here is a
TEST KEY derived from a seed (so a run is reproducible) and is saved marked as one;
nothing here is for production, where each participant generates its own key and the
root holders sign offline (docs/keys.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from secxfer.trust.ids import Role

CONSENT_FILED = dt.date(2020, 4, 1)
ROOT_IDS = ("root-1", "root-2", "root-3")
# Who receives packages or receipts: with ``pq`` the directory's policy requires them to be hybrid.
RECEIVING_ROLES = (Role.AGENCY, Role.CENTRAL, Role.FEDERATION, Role.MUNICIPALITY)


def seeded_rng(seed: int, participant_id: str) -> Callable[[int], bytes]:
    """Deterministic bytes for one participant's TEST keys (HMAC-SHA256 counter mode)."""
    key = hashlib.sha256(b"secxfer-test-network-v1:%d" % seed).digest()
    counter = 0
    buffer = b""

    def draw(n: int) -> bytes:
        nonlocal counter, buffer
        while len(buffer) < n:
            buffer += hmac.new(key, f"{participant_id}:{counter}".encode(), hashlib.sha256).digest()
            counter += 1
        out, buffer = buffer[:n], buffer[n:]
        return out

    return draw


@dataclass
class Network:
    workdir: Path
    secrets: dict[str, object]
    signed_root: bytes
    signed_directory: bytes
    bundle: bytes
    directory_version: int
    without_consent: set[str] = field(default_factory=set)
    pq: bool = False

    def key_path(self, pid: str) -> Path:
        return self.workdir / "keys" / f"{pid}.key"

    def home(self, pid: str) -> Path:
        return self.workdir / "homes" / pid


def build_network(
    workdir: Path,
    *,
    insurer_codes: Iterable[str],
    without_consent: Iterable[str] = (),
    seed: int = 7,
    now: dt.datetime | None = None,
    valid_days: int = 400,
    pq: bool = False,
) -> Network:
    """Create keys for root holders, agency, central, all 47 federations and the given
    municipalities; enroll the municipalities through their federations (consent filed
    unless listed in ``without_consent``); sign directory v1 with 2 of 3 roots; write
    each key and card under ``workdir/keys`` and pin every participant's home.

    ``pq``: every participant gets a post-quantum hybrid encryption key (ML-KEM-768 +
    X25519) instead of X25519, and the directory's policy requires hybrid keys for every
    role that receives packages or receipts, so every package is sealed post-quantum."""
    from secxfer.domain.municipalities import federations, lookup, participant_id
    from secxfer.trust.authoring import (
        add_enrollments,
        add_participants,
        new_directory,
        require_hybrid_encryption,
        sign_directory,
    )
    from secxfer.trust.cards import make_card
    from secxfer.trust.enrollment import enroll
    from secxfer.trust.root import new_root, sign_root
    from secxfer.trust.secret_keys import generate_participant, save_secret_key
    from secxfer.trust.codec import encode
    from secxfer.trust.directory.excerpt import Excerpter
    from secxfer.trust.store import TrustStore

    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    created = now - dt.timedelta(days=1)
    workdir = Path(workdir)
    keys_dir = workdir / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    codes = sorted(set(insurer_codes))
    no_consent = set(without_consent) & set(codes)

    def make(pid: str, role: Role):
        return generate_participant(pid, role, now=created, rng=seeded_rng(seed, pid), encryption=encryption)

    encryption = "hybrid" if pq else "x25519"

    roots = [make(pid, Role.ROOT) for pid in ROOT_IDS]
    secrets = {s.participant_id: s for s in roots}
    core = [make("agency", Role.AGENCY), make("central", Role.CENTRAL)]
    core += [make(f.id, Role.FEDERATION) for f in federations()]
    municipalities = [make(participant_id(code), Role.MUNICIPALITY) for code in codes]
    secrets.update({s.participant_id: s for s in core + municipalities})

    root = new_root(version=1, expires=now + dt.timedelta(days=valid_days * 3),
                    keys=[s.signing_public_key for s in roots], threshold=2)
    signed_root = sign_root(root, roots[:2])
    directory = new_directory(version=1, issued=now - dt.timedelta(hours=1),
                              expires=now + dt.timedelta(days=valid_days), root_version=1)
    cards = {s.participant_id: make_card(s) for s in core + municipalities}
    directory = add_participants(directory, [cards[s.participant_id] for s in core])
    enrollments = []
    for code, secret in zip(codes, municipalities, strict=True):
        federation = secrets[f"fed-{lookup(code).prefecture_code}"]
        filed = None if code in no_consent else CONSENT_FILED
        enrollments.append(enroll(federation, cards[secret.participant_id], filed_on=filed, now=created))
    directory = add_enrollments(directory, enrollments)
    for role in RECEIVING_ROLES if pq else ():
        directory = require_hybrid_encryption(directory, role, from_version=1)
    signed_directory = sign_directory(directory, roots[:2])

    for secret in roots + core + municipalities:
        pid = secret.participant_id
        save_secret_key(secret, keys_dir / f"{pid}.key", passphrase=None, test_key=True, overwrite=True)
        if pid in cards:
            (keys_dir / f"{pid}.card").write_bytes(cards[pid])
    (keys_dir / "root.json").write_bytes(signed_root)

    first_home = workdir / "homes" / "agency"
    store = TrustStore(first_home)
    if not store.exists():
        store.pin_root(signed_root, now=now)
    store.import_directory(signed_directory, now=now)
    state_file = store.path.read_bytes()
    state = store.load()
    excerpter = Excerpter(state.directory)
    for secret in core + municipalities:
        home = workdir / "homes" / secret.participant_id
        if home == first_home:
            continue
        target = TrustStore(home)
        target.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Every home trusts the same verified state: copying it saves re-verifying
        # 1,800 entries per home; later packages update each on its own. A
        # municipality only ever receives excerpts, so it starts with its own.
        if secret.role is Role.MUNICIPALITY:
            own = msgspec.structs.replace(state, directory=excerpter.excerpt([secret.participant_id]))
            target.path.write_bytes(encode(own))
        else:
            target.path.write_bytes(state_file)
    return Network(
        workdir=workdir, secrets=secrets, signed_root=signed_root, signed_directory=signed_directory,
        bundle=store.export_bundle(), directory_version=1, without_consent=no_consent, pq=pq,
    )


def reset_home(network: Network, pid: str) -> None:
    """Forget a home's state (tests use this to simulate a fresh installation)."""
    shutil.rmtree(network.home(pid), ignore_errors=True)

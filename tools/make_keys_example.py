"""Generate ``keys-example/``: a complete, reproducible set of TEST KEYS.

Every secret here is derived from a fixed, public seed (HKDF-SHA256 over the seed
and the participant id), so anyone can recompute them: they are for examples,
tests and the demo only, never for production. Re-running the script reproduces
every file byte for byte (a test checks that).

    python tools/make_keys_example.py [--out keys-example]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from secxfer.domain.municipalities import federations
from secxfer.fsutil import atomic_write
from secxfer.trust import (
    add_enrollments,
    add_participants,
    enroll,
    generate_participant,
    make_card,
    make_excerpt,
    municipality_id,
    new_directory,
    new_root,
    read_directory_file,
    save_secret_key,
    sign_directory,
    sign_root,
)
from secxfer.trust.ids import role_of
from secxfer.trust.store import make_bundle

SEED = b"secxfer keys-example v1 -- PUBLIC TEST SEED -- never use these keys for real data"
CREATED = datetime(2025, 1, 6, 0, 0, tzinfo=timezone.utc)
EXPIRES = datetime(2036, 1, 1, 0, 0, tzinfo=timezone.utc)
ROOT_HOLDERS = ("root-1", "root-2", "root-3")
ROOT_THRESHOLD = 2
DIRECTORY_SIGNERS = ("root-1", "root-2")
EXCERPT_FOR = "mun-131016"

# code -> (consent filed on, withdrawn on); None: enrolled without a 委任状
MUNICIPALITIES: dict[str, tuple[date, date | None] | None] = {
    "131016": (date(2020, 4, 1), None),  # 千代田区, a Tokyo special ward
    "141003": (date(2020, 4, 1), None),  # 横浜市, a designated city (wards route here)
    "011002": (date(2020, 6, 1), None),  # 札幌市, a designated city
    "012131": (date(2021, 1, 4), None),  # 苫小牧市 (check digit remainder 0)
    "271004": (date(2020, 10, 1), None),  # 大阪市, a designated city
    "012050": None,  # 室蘭市: key enrolled, no 委任状 filed: receives nothing
}

README = """\
# keys-example — TEST KEYS, NEVER FOR PRODUCTION

Everything in this folder is derived from a fixed seed that is printed in
`tools/make_keys_example.py`. Anyone can recompute every secret key here.
Use these keys only for examples, tests and the demo; never for real records.
Every `.key` file is unprotected and carries the `TEST KEY` marker, and secxfer
warns whenever one is loaded.

Regenerate (byte for byte identical):

    python tools/make_keys_example.py --out keys-example

Contents:

* `keys/<id>.key` — secret key files (TEST KEY, unprotected)
* `cards/<id>.card` — public key cards (self-signed)
* `enrollments/<mun-id>.enrollment` — enrollments signed by each municipality's federation
* `root.json` — root v1: root-1, root-2, root-3, threshold 2, expires 2036-01-01
* `directory.json` — key directory v1: header signed by root-1 and root-2 (expires
  2036-01-01) and every entry
* `directory-excerpt-mun-131016.json` — an excerpt of it: the same signed header and
  the entries of mun-131016, fed-13, agency and central with their inclusion proofs,
  as a package to 千代田区 carries it
* `trust-bundle.json` — root chain + full directory, as carried inside packages to
  central and the federations

Participants: 3 root holders, agency, central, all 47 federations (fed-01..fed-47)
and these municipalities:

| id | name | consent (委任状) |
|----|------|------------------|
{rows}
"""


def test_key_rng(participant_id: str):
    """Deterministic bytes for ``participant_id``'s keys. TEST ONLY: the seed is public."""
    stream = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=b"secxfer-test-key:" + participant_id.encode()).derive(SEED)
    offset = 0

    def rng(n: int) -> bytes:
        nonlocal offset
        if offset + n > len(stream):
            raise RuntimeError("test key stream exhausted")
        chunk = stream[offset : offset + n]
        offset += n
        return chunk

    return rng


def _consent_text(consent: tuple[date, date | None] | None) -> str:
    if consent is None:
        return "none (enrolled without consent)"
    return f"filed {consent[0]}" + (f", withdrawn {consent[1]}" if consent[1] else "")


def make_keys_example(out: Path) -> None:
    """Write the whole example set into ``out`` (created if missing; files overwritten)."""
    for folder in ("keys", "cards", "enrollments"):
        (out / folder).mkdir(parents=True, exist_ok=True)

    def write(relative: str, data: bytes) -> None:
        atomic_write(out / relative, data, overwrite=True, mode=0o644)

    ids = [*ROOT_HOLDERS, "agency", "central", *(f.id for f in federations())]
    ids += [municipality_id(code) for code in MUNICIPALITIES]
    secrets = {}
    cards = {}
    for pid in ids:
        secret = generate_participant(pid, role_of(pid), now=CREATED, rng=test_key_rng(pid))
        secrets[pid] = secret
        cards[pid] = make_card(secret)
        save_secret_key(secret, out / "keys" / f"{pid}.key", passphrase=None, test_key=True, overwrite=True)
        write(f"cards/{pid}.card", cards[pid])

    root = new_root(
        version=1, expires=EXPIRES, keys=[secrets[r].signing_public_key for r in ROOT_HOLDERS], threshold=ROOT_THRESHOLD
    )
    signed_root = sign_root(root, [secrets[r] for r in ROOT_HOLDERS])
    write("root.json", signed_root)

    enrollments = []
    for code, consent in MUNICIPALITIES.items():
        pid = municipality_id(code)
        filed, withdrawn = consent if consent is not None else (None, None)
        record = enroll(secrets[f"fed-{code[:2]}"], cards[pid], filed_on=filed, withdrawn_on=withdrawn, now=CREATED)
        enrollments.append(record)
        write(f"enrollments/{pid}.enrollment", record)

    directory = new_directory(version=1, issued=CREATED, expires=EXPIRES, root_version=1)
    directory = add_participants(directory, [cards[pid] for pid in ids if not pid.startswith("mun-")])
    directory = add_enrollments(directory, enrollments)
    signed_directory = sign_directory(directory, [secrets[r] for r in DIRECTORY_SIGNERS])
    write("directory.json", signed_directory)
    write("trust-bundle.json", make_bundle([signed_root], signed_directory))
    excerpt = make_excerpt(read_directory_file(signed_directory), [EXCERPT_FOR])
    write(f"directory-excerpt-{EXCERPT_FOR}.json", excerpt.encode())

    rows = "\n".join(
        f"| mun-{code} | {directory.participant(f'mun-{code}').name} | {_consent_text(consent)} |"
        for code, consent in MUNICIPALITIES.items()
    )
    write("README.md", README.format(rows=rows).encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "keys-example")
    args = parser.parse_args(argv)
    make_keys_example(args.out)
    print(f"wrote TEST KEYS to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

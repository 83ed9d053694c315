"""keys-example/: reproducible byte for byte, every key a TEST KEY; national scale timing."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from datetime import date

from test_trust_support import EXAMPLE, FAR, NOW, REPO, T0, example_key, seeded_rng, signed_small_root

from secxfer.domain.municipalities import federations, insurers, participant_id
from secxfer.trust import (
    TrustStore,
    add_enrollments,
    add_participants,
    enroll,
    generate_participant,
    load_secret_key,
    make_card,
    new_directory,
    sign_directory,
)
from secxfer.trust.store import apply_directory, pin_root


def _generator():
    spec = importlib.util.spec_from_file_location("make_keys_example", REPO / "tools" / "make_keys_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_regenerating_reproduces_every_file_byte_for_byte(tmp_path):
    _generator().make_keys_example(tmp_path)
    assert _files(tmp_path) == _files(EXAMPLE)


def test_every_example_key_is_a_test_key_and_the_readme_says_so():
    keys = sorted((EXAMPLE / "keys").glob("*.key"))
    assert len(keys) == 3 + 2 + 47 + 6
    for path in keys:
        assert json.loads(path.read_text())["marker"].startswith("TEST KEY")
        assert load_secret_key(path).is_test_key
    readme = (EXAMPLE / "README.md").read_text()
    assert "TEST KEYS, NEVER FOR PRODUCTION" in readme and "千代田区" in readme


def test_example_set_imports_and_matches_the_brief(tmp_path):
    store = TrustStore(tmp_path)
    store.pin_root((EXAMPLE / "root.json").read_bytes(), now=NOW)
    directory = store.import_directory((EXAMPLE / "directory.json").read_bytes(), NOW)
    assert directory.expires.year == 2036
    for code in ("131016", "141003", "011002", "012131", "271004"):
        assert directory.consent_in_force(code, date(2025, 6, 1))
    assert not directory.consent_in_force("012050", date(2025, 6, 1))


def test_example_keys_work_with_the_stock_age_command(tmp_path, age_binary):
    secret = example_key("mun-131016")
    identity = tmp_path / "identity.txt"
    identity.write_text(secret.encryption_identity.encode() + "\n")
    recipient = secret.encryption_identity.recipient.encode()
    sealed = subprocess.run([age_binary, "-r", recipient], input=b"row 1\n", capture_output=True, check=True).stdout
    opened = subprocess.run([age_binary, "-d", "-i", str(identity)], input=sealed, capture_output=True, check=True)
    assert opened.stdout == b"row 1\n"


def test_a_national_directory_builds_signs_and_verifies():
    fed_keys = {f.id: generate_participant(f.id, "federation", now=T0, rng=seeded_rng(f.id)) for f in federations()}
    cards = [make_card(s) for s in fed_keys.values()]
    enrollments = []
    for body in insurers():
        pid = participant_id(body.code)
        secret = generate_participant(pid, "municipality", now=T0, rng=seeded_rng(pid))
        enrollments.append(enroll(fed_keys[f"fed-{body.prefecture_code}"], make_card(secret), filed_on=date(2020, 4, 1), now=T0))
    directory = new_directory(version=1, issued=T0, expires=FAR, root_version=1)
    directory = add_participants(directory, cards)
    directory = add_enrollments(directory, enrollments)
    signed = sign_directory(directory, [example_key("root-1"), example_key("root-2")])
    _, verified = apply_directory(pin_root(signed_small_root(), now=NOW), signed, NOW)
    assert len(verified.covered_municipalities(date(2025, 6, 1))) == 1741

"""Secret key files: passphrase protection, TEST KEY marker, damage, passphrase input."""

from __future__ import annotations

import json
import os
import pickle
import stat

import pytest
from test_trust_support import EXAMPLE, fresh

from secxfer.errors import (
    EXIT_INTEGRITY,
    FormatError,
    NotFoundError,
    OutputExistsError,
    UsageError,
    WrongPassphraseError,
)
from secxfer.cli.passphrase import passphrase_from_env_or_fd
from secxfer.trust.secret_keys import (
    KDF_MIN,
    load_secret_key,
    save_secret_key,
)

PASS = b"correct horse battery"


@pytest.fixture(scope="module")
def protected(tmp_path_factory):
    secret = fresh("mun-131016")
    path = tmp_path_factory.mktemp("keys") / "mun-131016.key"
    save_secret_key(secret, path, passphrase=PASS, kdf=KDF_MIN)
    return secret, path


def test_protected_key_round_trips(protected):
    secret, path = protected
    loaded = load_secret_key(path, passphrase=PASS)
    assert loaded.participant_id == "mun-131016" and not loaded.is_test_key
    assert loaded.signing_public_key == secret.signing_public_key
    assert loaded.encryption_public_key == secret.encryption_public_key
    assert loaded.encryption_identity.recipient.public_bytes() == secret.encryption_public_key
    assert loaded.created == secret.created


def test_protected_file_holds_no_secret_in_clear_and_is_owner_only(protected):
    secret, path = protected
    text = path.read_text()
    assert "PASSPHRASE" not in text and "TEST KEY" not in text
    assert secret.encryption_secret_bytes().hex() not in text
    assert json.loads(text)["kdf"]["algorithm"] == "argon2id"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_wrong_passphrase(protected):
    with pytest.raises(WrongPassphraseError) as caught:
        load_secret_key(protected[1], passphrase=b"wrong horse battery")
    assert caught.value.exit_code == EXIT_INTEGRITY


def test_missing_passphrase_is_a_usage_error(protected):
    with pytest.raises(UsageError, match="protected by a passphrase"):
        load_secret_key(protected[1])


def test_passphrase_as_text_or_from_a_callable_asked_only_when_protected(protected, tmp_path):
    secret, path = protected
    assert load_secret_key(path, passphrase=PASS.decode()).signing_public_key == secret.signing_public_key
    asked = []
    loaded = load_secret_key(path, passphrase=lambda: asked.append(1) or PASS)
    assert asked == [1] and loaded.signing_public_key == secret.signing_public_key
    with pytest.raises(WrongPassphraseError):
        load_secret_key(path, passphrase=lambda: "wrong horse battery")
    with pytest.raises(UsageError, match="protected by a passphrase") as caught:
        load_secret_key(path, passphrase=lambda: None)  # a front end with nobody to ask
    assert caught.value.facts["advice"] == "passphrase-needed"
    save_secret_key(secret, tmp_path / "t.key", passphrase=None, test_key=True)
    load_secret_key(tmp_path / "t.key", passphrase=lambda: pytest.fail("asked for a TEST KEY"))


def test_the_cli_prompts_only_for_a_protected_key_and_only_on_a_terminal(protected, tmp_path, monkeypatch):
    import getpass
    import sys

    from secxfer.cli._common import load_key

    secret, path = protected
    monkeypatch.delenv("SECXFER_PASSPHRASE", raising=False)
    prompts = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": prompts.append(prompt) or PASS.decode())
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert load_key(path).secret.signing_public_key == secret.signing_public_key
    assert prompts == [f"Passphrase for {path.name}: "]
    save_secret_key(secret, tmp_path / "t.key", passphrase=None, test_key=True)
    load_key(tmp_path / "t.key")
    assert len(prompts) == 1  # a TEST KEY is never asked for
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(UsageError, match="none was given"):
        load_key(path)
    assert len(prompts) == 1


def test_the_library_asks_nobody():
    """Prompting belongs to the CLI (secxfer/cli/passphrase.py): the key module has no
    terminal, getpass or environment lookup of its own."""
    import secxfer.trust.secret_keys as module

    source = open(module.__file__, encoding="utf-8").read()
    for word in ("getpass", "isatty", "sys.stdin", "os.environ", "SECXFER_PASSPHRASE", "input("):
        assert word not in source, word


def _rewrite(src, dst, **changes):
    document = json.loads(src.read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            document[key].update(value)
        else:
            document[key] = value
    dst.write_text(json.dumps(document))
    return dst


def test_damaged_files_are_format_errors(protected, tmp_path):
    path = protected[1]
    document = json.loads(path.read_text())
    sealed = document["sealed"]
    flipped = sealed[:10] + ("A" if sealed[10] != "A" else "B") + sealed[11:]
    cases = {
        "flipped": _rewrite(path, tmp_path / "a.key", sealed=flipped),
        "swapped-id": _rewrite(path, tmp_path / "b.key", id="mun-141003"),
        "huge-kdf": _rewrite(path, tmp_path / "c.key", kdf={"memlimit": 1 << 40}),
        "unknown-field": _rewrite(path, tmp_path / "d.key", extra=1),
    }
    (tmp_path / "e.key").write_bytes(path.read_bytes()[:100])
    cases["truncated"] = tmp_path / "e.key"
    (tmp_path / "f.key").write_bytes(b"x" * 70_000)
    cases["oversize"] = tmp_path / "f.key"
    for name, case in cases.items():
        with pytest.raises(FormatError):
            load_secret_key(case, passphrase=PASS)
        print("ok", name)
    with pytest.raises(NotFoundError):
        load_secret_key(tmp_path / "missing.key", passphrase=PASS)


def test_unprotected_only_as_test_key(tmp_path):
    secret = fresh("agency")
    with pytest.raises(UsageError, match="protected by a passphrase"):
        save_secret_key(secret, tmp_path / "a.key", passphrase=None)
    save_secret_key(secret, tmp_path / "a.key", passphrase=None, test_key=True)
    assert tmp_path.joinpath("a.key").read_text().splitlines()[1].strip().startswith('"marker": "TEST KEY')
    loaded = load_secret_key(tmp_path / "a.key")
    assert loaded.is_test_key and loaded.signing_public_key == secret.signing_public_key


def test_unprotected_file_without_marker_is_refused(tmp_path):
    source = EXAMPLE / "keys" / "agency.key"
    for changes in ({"test_key": False}, {"marker": "fine"}):
        with pytest.raises(FormatError, match="not marked as a TEST KEY"):
            load_secret_key(_rewrite(source, tmp_path / "x.key", **changes))


def test_short_passphrase_and_overwrite_are_refused(tmp_path):
    secret = fresh("central")
    with pytest.raises(UsageError, match="at least"):
        save_secret_key(secret, tmp_path / "c.key", passphrase=b"short", kdf=KDF_MIN)
    save_secret_key(secret, tmp_path / "c.key", passphrase=PASS, kdf=KDF_MIN)
    with pytest.raises(OutputExistsError):
        save_secret_key(secret, tmp_path / "c.key", passphrase=PASS, kdf=KDF_MIN)
    save_secret_key(secret, tmp_path / "c.key", passphrase=PASS, kdf=KDF_MIN, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["c.key"]  # no temporary files left


def test_secrets_never_show(protected):
    secret = protected[0]
    text = repr(secret) + str(secret)
    assert "mun-131016" in text
    assert secret.encryption_secret_bytes().hex() not in text
    assert secret.encryption_identity.encode() not in text
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_passphrase_from_env_and_fd(monkeypatch):
    monkeypatch.delenv("SECXFER_PASSPHRASE", raising=False)
    assert passphrase_from_env_or_fd(None) is None
    monkeypatch.setenv("SECXFER_PASSPHRASE", "秘密のパスフレーズ")
    assert passphrase_from_env_or_fd(None) == "秘密のパスフレーズ".encode()
    read, write = os.pipe()
    os.write(write, b"from the pipe\r\nsecond line\n")
    os.close(write)
    try:
        assert passphrase_from_env_or_fd(read) == b"from the pipe"  # the fd wins over the environment
    finally:
        os.close(read)
    monkeypatch.setenv("SECXFER_PASSPHRASE", "")
    with pytest.raises(UsageError, match="empty"):
        passphrase_from_env_or_fd(None)
    with pytest.raises(UsageError, match="file descriptor"):
        passphrase_from_env_or_fd(987)


def test_interactive_prompt_asks_twice_on_creation(monkeypatch):
    import getpass
    import sys

    from secxfer.cli.passphrase import obtain_passphrase

    monkeypatch.delenv("SECXFER_PASSPHRASE", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["first passphrase", "first passphrase", "one", "other"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert obtain_passphrase(confirm=True) == b"first passphrase"
    with pytest.raises(UsageError, match="differ"):
        obtain_passphrase(confirm=True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(UsageError, match="no terminal"):
        obtain_passphrase()

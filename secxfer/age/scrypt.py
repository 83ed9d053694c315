"""Passphrase-protected age files (the scrypt recipient type), decryption only.

secxfer never encrypts with passphrases (keys are exchanged through the signed key
directory); reading such files exists for interoperability and the test vectors.
The spec's rules are enforced before any expensive work: an scrypt stanza must be
the only stanza, its salt is 16 bytes, its work factor a plain decimal no larger
than :data:`secxfer.age._limits.SCRYPT_MAX_LOG_N`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from secxfer.age import _base64, _crypto
from secxfer.age._labels import (
    SCRYPT_P,
    SCRYPT_R,
    SCRYPT_SALT_LABEL,
    SCRYPT_SALT_SIZE,
    SCRYPT_STANZA_TYPE,
    WRAPPED_FILE_KEY_SIZE,
)
from secxfer.age._limits import SCRYPT_MAX_LOG_N
from secxfer.age.errors import AgeHeaderError
from secxfer.age.format import Stanza

_DECIMAL = re.compile(r"[1-9][0-9]*")


class ScryptIdentity:
    """A passphrase that can open age files encrypted to it (``age -p``)."""

    def __init__(self, passphrase: str | bytes, *, max_log_n: int = SCRYPT_MAX_LOG_N) -> None:
        self._passphrase = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
        self._max_log_n = max_log_n

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """The file key if the single scrypt stanza opens with this passphrase, else None.

        Raises AgeHeaderError when an scrypt stanza is not alone in the header or is
        malformed, and when its work factor exceeds the limit.
        """
        for index, stanza in enumerate(stanzas):
            if stanza.type != SCRYPT_STANZA_TYPE:
                continue
            where = f"stanza {index + 1} (scrypt)"
            if len(stanzas) != 1:
                raise AgeHeaderError("an scrypt stanza must be the only stanza in the header", location=where)
            if len(stanza.args) != 2:
                raise AgeHeaderError("scrypt stanza must have exactly two arguments", location=where)
            salt = _base64.decode(stanza.args[0].encode("ascii"))
            if salt is None or len(salt) != SCRYPT_SALT_SIZE:
                raise AgeHeaderError("scrypt salt is not canonical base64 of 16 bytes", location=where)
            if _DECIMAL.fullmatch(stanza.args[1]) is None:
                raise AgeHeaderError("scrypt work factor is not a plain decimal number", location=where)
            if len(stanza.args[1]) > 3 or int(stanza.args[1]) > self._max_log_n:
                raise AgeHeaderError(
                    f"scrypt work factor {stanza.args[1][:8]} exceeds the limit of {self._max_log_n}",
                    location=where,
                    hint="the file demands more memory and time than allowed; ask the sender to re-encrypt",
                )
            if len(stanza.body) != WRAPPED_FILE_KEY_SIZE:
                raise AgeHeaderError("scrypt stanza body must be 32 bytes", location=where)
            log_n = int(stanza.args[1])
            wrap_key = Scrypt(
                salt=SCRYPT_SALT_LABEL + salt, length=_crypto.KEY_SIZE, n=1 << log_n, r=SCRYPT_R, p=SCRYPT_P
            ).derive(self._passphrase)
            return _crypto.open_file_key(wrap_key, stanza.body)
        return None

    def __repr__(self) -> str:
        return "ScryptIdentity(<passphrase>)"

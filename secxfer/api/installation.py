"""One installation: its home folder, the trust anchor rule, its trust store and ledger."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secxfer.ledger.store import LedgerHome
    from secxfer.trust.directory.model import Directory
    from secxfer.trust.store import TrustStore

ROOT_FILE_NAME = "root.json"


@dataclass(frozen=True)
class TrustAnchor:
    """A signed root (``root.json``) read but not yet trusted: its bytes, where it came
    from, its version and the 20-character fingerprint printed on the paper key form.

    Trust in it comes from a person comparing ``fingerprint`` with the paper form, or
    from the installation already trusting it; nothing here verifies it.
    """

    data: bytes
    path: Path
    version: int
    fingerprint: str

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> TrustAnchor:
        """Read a signed root file.

        Raises NotFoundError if there is no such file, FormatError if it is not a signed root
        or is larger than a root may be.
        """
        from secxfer.fsutil import read_bounded
        from secxfer.trust.root import ROOT_MAX_BYTES

        path = Path(path)
        return cls.from_bytes(read_bounded(path, ROOT_MAX_BYTES, "root file"), path)

    @classmethod
    def from_bytes(cls, data: bytes, path: Path) -> TrustAnchor:
        """The anchor of a signed root's bytes (read from ``path``). Raises FormatError if they are no signed root."""
        from secxfer.trust.fingerprint import document_fingerprint
        from secxfer.trust.root import decode_root_unverified

        signed, parsed = decode_root_unverified(data)
        return cls(data=data, path=path, version=parsed.version, fingerprint=document_fingerprint(signed.payload))

    @classmethod
    def in_bundle(cls, path: str | os.PathLike[str]) -> TrustAnchor | None:
        """The first root of a trust bundle file (what a key-less check starts from when
        given only the bundle), or None when the file is a plain signed directory.

        Raises NotFoundError if there is no such file, FormatError if it is damaged.
        """
        from secxfer.fsutil import read_bounded
        from secxfer.trust.store import BUNDLE_MAX_BYTES, is_bundle, read_bundle

        path = Path(path)
        data = read_bounded(path, BUNDLE_MAX_BYTES, "key directory file")
        if not is_bundle(data):
            return None
        bundle = read_bundle(data)
        return cls.from_bytes(bundle.roots[0], path) if bundle.roots else None


class Installation:
    """One installation of secxfer: the home folder holding the trust store (the pinned
    root and the verified key directory), the chain's record of packages seen and the
    ledger (evidence, operations log, checkpoints).

    ``Installation(path)`` names a folder (created on first use);
    ``Installation.default()`` is this computer's one default home (see :meth:`default`).
    """

    __slots__ = ("path",)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def default(cls) -> Installation:
        """``$SECXFER_HOME``, else the per-user data folder + ``secxfer``: ``%LOCALAPPDATA%\\secxfer``
        on Windows, ``~/Library/Application Support/secxfer`` on macOS, ``$XDG_DATA_HOME/secxfer``
        or ``~/.local/share/secxfer`` elsewhere. Raises nothing."""
        from secxfer.installation import default_home

        return cls(default_home())

    @classmethod
    def at(cls, path: str | os.PathLike[str] | None) -> Installation:
        """``Installation(path)``, or the default one when ``path`` is None. Raises nothing."""
        return cls.default() if path is None else cls(path)

    def __repr__(self) -> str:
        return f"Installation({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Installation) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __fspath__(self) -> str:
        return str(self.path)

    @property
    def trust_store(self) -> TrustStore:
        """The trust store view: the pinned root and the verified key directory. Raises nothing."""
        from secxfer.trust.store import TrustStore

        return TrustStore(self.path)

    @property
    def ledger(self) -> LedgerHome:
        """The ledger view: kept receipts and reports, and which participant this home acts for."""
        from secxfer.ledger.store import LedgerHome

        return LedgerHome(self.path)

    @property
    def trusts_a_root(self) -> bool:
        """Whether this installation has pinned a root already. Raises nothing."""
        return self.trust_store.exists()

    def participant(self) -> str | None:
        """The participant this home acts for (bound by its first seal, relay, open or collect), else None."""
        return self.ledger.participant()

    def directory(self, now: dt.datetime | None = None) -> Directory:
        """The key directory this installation trusts now, verified (a municipality's is an excerpt).

        Raises an IntegrityError subclass (exit 3) if the stored state no longer verifies or
        has expired, UsageError if this home trusts no root yet.
        """
        from secxfer.chain.trustlink import directory_for_checks

        return directory_for_checks(self.path, None, now or dt.datetime.now(dt.timezone.utc))

    def directory_or_none(self, now: dt.datetime | None = None) -> Directory | None:
        """:meth:`directory`, or None when this home trusts none (or none that verifies). Raises nothing."""
        from secxfer.errors import SecxferError

        try:
            return self.directory(now)
        except SecxferError:
            return None

    def log_operation(self, op: str, *, facts: Mapping[str, str | int | bool], participant: str | None = None,
                      operator: str | None = None) -> None:
        """Add one entry to the operations log for work done outside the chain (a key generated,
        a key directory imported). The operator is ``operator``, else $SECXFER_OPERATOR, else
        ``participant`` or the participant this home acts for.

        Raises UsageError for a malformed operator name or too many facts; LogTamperedError
        (exit 3) if the log's last entry no longer verifies.
        """
        from secxfer.ledger.oplog import record

        record(self.path, op, facts=facts, participant=participant, operator=operator)

    def trust_anchor(self, *, key_file: Path | None = None, root: Path | None = None) -> TrustAnchor | None:
        """The root to pin if this installation trusts none yet, by the one rule:
        ``root`` when given, else ``root.json`` beside the participant's key file
        (distributed with it). None when this home trusts a root already or no such file
        exists (the operation then says the home trusts nothing).

        Raises FormatError if the file found is not a signed root.
        """
        if self.trusts_a_root:
            return None
        candidate = root if root is not None else (Path(key_file).parent / ROOT_FILE_NAME if key_file else None)
        if candidate is None or not Path(candidate).is_file():
            return None
        return TrustAnchor.read(candidate)

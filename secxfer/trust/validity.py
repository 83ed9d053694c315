"""Whether a signature by a listed key stands: the one rule every verifier calls.

Manifests, outer signatures, receipts, hop reports, aggregates, enrollments and log
checkpoints all come here (docs/keys.md §6.1, docs/format.md §10.7). Whose word each
check rests on:

1. **Not from the future** — the verifier's own clock (``now``): a document dated
   more than ``CLOCK_SKEW_SECONDS`` after it is refused.
2. **Revocation** — the root holders' word (the signed directory):
   * ``compromise`` (also a revocation without a class): from ``revoked_at`` (as the
     verifier's clock reads it) every signature by the key is refused, **whatever
     date it claims**, unless the verifier's *own* record shows it accepted that very
     document earlier (``held``). The date the signer wrote is never consulted: a
     thief holding the key writes any date they like.
   * ``retired`` / ``superseded``: a signature dated before ``revoked_at`` stands.
     The key was not stolen, so its holder's date is believed.
   An undated signature (a log checkpoint) cannot show it predates a revocation:
   any revocation in force refuses it unless it is held.
3. **Not before the key was listed** — the root holders' word again: a signature
   dated before the directory version that first listed its key (less the skew) is
   refused; nobody could rely on that key then.
4. **Validity window** — the key's ``valid_from`` / ``valid_until`` at the date the
   signature states.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from secxfer.errors import BeforeListingError, CompromisedKeyError, ExpiredError, FutureDatedError, RevokedKeyError
from secxfer.limits import CLOCK_SKEW_SECONDS
from secxfer.trust.directory.entries import COMPROMISE, KeyEntry, require_aware

CLOCK_SKEW = timedelta(seconds=CLOCK_SKEW_SECONDS)


def span(delta: timedelta) -> str:
    """A duration for an error message: ``3 d 0 h 12 min``, ``42 min``, ``9 s``."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes} min"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{secs} s"


def require_not_future(signed_at: datetime, *, now: datetime, what: str) -> None:
    """Check 1 alone: ``signed_at`` is not later than the verifier's clock plus the skew."""
    require_aware(signed_at, "the signature time")
    require_aware(now, "now")
    if signed_at > now + CLOCK_SKEW:
        raise FutureDatedError(
            f"a signature by {what} is dated {signed_at.isoformat()}, {span(signed_at - now)} after this computer's clock "
            f"({now.isoformat()}; at most {span(CLOCK_SKEW)} is allowed)"
        )


def _short_id(entry: KeyEntry) -> str:
    from secxfer.trust.fingerprint import key_id

    return key_id(entry.key)[:16]


def require_signature_stands(
    entry: KeyEntry, signed_at: datetime | None, *, now: datetime, what: str, held: bool = False,
    clock: bool = True,
) -> None:
    """Raise unless a signature by ``entry`` dated ``signed_at`` (None: undated) stands at ``now``.

    ``held`` is True only when the verifier's own record (its ledger, its replay
    record, its own kept checkpoints) shows it accepted this exact document before;
    never because of anything in the document. ``clock`` is False when ``now`` is not
    a computer's clock but a directory's issue time (an enrollment is checked as of
    the directory it sits in: it may be signed after the draft's issue time, and
    before the version listing its federation's key is issued, since both enter one
    draft together): checks 1 and 3 are then left out. Raises FutureDatedError,
    CompromisedKeyError / RevokedKeyError, BeforeListingError or ExpiredError (exit 3).
    """
    require_aware(now, "now")
    if signed_at is not None and clock and not held:
        require_not_future(signed_at, now=now, what=what)
    revoked_at = entry.revoked_at
    if revoked_at is not None and revoked_at <= now:
        reason = entry.revoked_reason or "no reason given"
        if entry.revocation_class == COMPROMISE:
            if not held:
                claimed = f"; it claims {signed_at.isoformat()}, which counts for nothing" if signed_at else ""
                raise CompromisedKeyError(
                    f"{what} was revoked for compromise at {revoked_at.isoformat()} ({reason}): "
                    f"every signature by it not accepted here before is refused{claimed}",
                    facts={"wording": "compromised", "key": _short_id(entry), "at": revoked_at.isoformat(),
                           "reason": reason},
                )
        elif signed_at is None or signed_at >= revoked_at:
            when = f"dated {signed_at.isoformat()}, " if signed_at else "undated, "
            raise RevokedKeyError(
                f"{what} was {entry.revocation_class} at {revoked_at.isoformat()} ({reason}); "
                f"this signature is {when}not before that",
                facts={"wording": "revoked", "key": _short_id(entry), "at": revoked_at.isoformat(), "reason": reason,
                       "signed": signed_at.isoformat() if signed_at else "-"},
            )
    if signed_at is None:
        return
    if not entry.in_window(signed_at):
        until = entry.valid_until.isoformat() if entry.valid_until else "open"
        raise ExpiredError(
            f"{what} is valid from {entry.valid_from.isoformat()} until {until}, not at {signed_at.isoformat()}",
            facts={"wording": "key-window", "key": _short_id(entry), "start": entry.valid_from.isoformat(),
                   "until": until, "signed": signed_at.isoformat()},
        )
    listing = entry.listing
    if listing is not None and clock and signed_at < listing[1] - CLOCK_SKEW:
        version, listed_at = listing
        raise BeforeListingError(
            f"{what} signed at {signed_at.isoformat()}, {span(listed_at - signed_at)} before key directory "
            f"v{version} (issued {listed_at.isoformat()}) first listed the key"
        )

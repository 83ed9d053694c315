"""A notice the library hands to ``notify=``: its English sentence, and its facts.

A ``Notice`` *is* the English string (callers that join, log or compare it see exactly
the text they always did); its ``wording`` and ``values`` let a front end say the same
thing in another language (the CLI looks up ``notice.<wording>`` in its catalog).
"""

from __future__ import annotations


class Notice(str):
    """English text carrying the name of its wording and the values that fill it."""

    wording: str
    values: dict[str, str]
    error: Exception | None

    def __new__(cls, english: str, *, wording: str, values: dict[str, object] | None = None) -> Notice:
        notice = super().__new__(cls, english)
        notice.wording = wording
        notice.values = {name: str(value) for name, value in (values or {}).items()}
        notice.error = None
        return notice

    @classmethod
    def of_error(cls, error: Exception) -> Notice:
        """An error's message as a notice (a finding's reason): worded as the error's detail is."""
        notice = cls(str(error), wording="")
        notice.error = error
        return notice

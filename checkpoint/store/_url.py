"""Store URLs: which backend, and how to print one without its password."""

from __future__ import annotations

import re

_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]*@", re.IGNORECASE)
_PASSWORD_PARAM = re.compile(r"(password=)[^&\s]*", re.IGNORECASE)


def redact_url(text: str) -> str:
    """Mask the password of every URL in ``text`` (also a ``password=`` parameter)."""
    text = _PASSWORD.sub(lambda m: f"{m.group('scheme')}:***@", text)
    return _PASSWORD_PARAM.sub(r"\1***", text)


__all__ = ["redact_url"]

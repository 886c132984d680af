"""Store URLs: which backend, and how to print one without its password."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from checkpoint.errors import StoreUnavailableError

SCHEMES = ("memory", "sqlite", "postgresql", "postgres")

_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]*@", re.IGNORECASE)
_PASSWORD_PARAM = re.compile(r"(password=)[^&\s]*", re.IGNORECASE)


def redact_url(text: str) -> str:
    """Mask the password of every URL in ``text`` (also a ``password=`` parameter)."""
    text = _PASSWORD.sub(lambda m: f"{m.group('scheme')}:***@", text)
    return _PASSWORD_PARAM.sub(r"\1***", text)


def store_scheme(url: str) -> str:
    """The backend a URL names (lower case); an unknown one is a ``StoreUnavailableError`` that
    says "unknown scheme" and lists the ones there are, so a caller can check before any I/O."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        shown = f"{scheme!r}" if scheme else "none"
        raise StoreUnavailableError(
            redact_url(url),
            f"unknown scheme {shown}; use memory://, sqlite:///path or postgresql://...",
        )
    return scheme


__all__ = ["SCHEMES", "redact_url", "store_scheme"]

"""What went wrong with a model call, in one line, and whether another attempt can help.

``classify`` reads an exception raised by the ``openai`` SDK (or by its HTTP transport while a
stream is read) and names one ``FailureKind``. The rule per kind, owned here and nowhere else:

==================  ===========  ============================================================
kind                retried?     why
==================  ===========  ============================================================
refused             yes          nothing listens yet: a server restarting, a tunnel coming up
dns (no such name)  no           a misspelled host stays misspelled (EAI_NONAME)
dns (try again)     yes          the resolver itself failed for now (EAI_AGAIN)
tls                 no           a certificate or protocol mismatch is configuration
connection          yes          reset, closed mid-stream, unreachable network: weather
timeout             yes          slow is not wrong; the next attempt may be faster
unauthorized        no           HTTP 401/403: the key is wrong, retrying cannot fix it
not found           no           HTTP 404: a wrong model name or base URL path
bad request         no           HTTP 400/413/422 and other 4xx: the same request fails again
rate limited        yes          HTTP 429 (and 408/409): the server asks us to come back
server error        yes          HTTP 5xx: the server's trouble, often brief
malformed           no           the answer cannot be read as Chat Completions
==================  ===========  ============================================================

A retried failure goes back to Temporal, which retries the turn with the backoff of the
workflow's ``RetryPolicy``; the SDK's own retries are off so every attempt is visible.
"""

from __future__ import annotations

import re
import socket
import ssl
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from checkpoint.errors import ProviderError

DETAIL_CHARS = 200
"""How much of a server's error body an error line keeps."""
_SECRET_PARAM = re.compile(r"key|token|secret|sig|auth|pass|code", re.IGNORECASE)


class FailureKind(StrEnum):
    """A model call's failure, worded as the cause in an error line."""

    REFUSED = "connection refused"
    DNS = "name not resolved"
    DNS_AGAIN = "name resolution failed for now"
    TLS = "TLS failed"
    CONNECTION = "connection failed"
    TIMEOUT = "timed out"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not found"
    BAD_REQUEST = "bad request"
    RATE_LIMITED = "rate limited"
    SERVER = "server error"
    MALFORMED = "malformed response"

    @property
    def retryable(self) -> bool:
        return self in _RETRYABLE


_RETRYABLE = frozenset({
    FailureKind.REFUSED, FailureKind.DNS_AGAIN, FailureKind.CONNECTION, FailureKind.TIMEOUT,
    FailureKind.RATE_LIMITED, FailureKind.SERVER,
})


class ProviderCallError(ProviderError):
    """A model call failed for a classified reason; ``url`` has no secrets in it."""

    def __init__(
        self, provider: str, kind: FailureKind, url: str, *, status: int | None = None,
        detail: str = "", session_id: str | None = None, turn_index: int | None = None,
    ) -> None:
        self.kind, self.url, self.status, self.detail = kind, url, status, detail
        self.session_id, self.turn_index = session_id, turn_index
        what = f"HTTP {status} {kind}" if status is not None else str(kind)
        preposition = "from" if status is not None else "at"
        tail = f": {detail}" if detail else ""
        super().__init__(provider, f"{what} {preposition} {url}{tail}", retryable=kind.retryable)


def status_kind(status: int) -> FailureKind:
    """The kind of an HTTP error status."""
    if status in (401, 403):
        return FailureKind.UNAUTHORIZED
    if status == 404:
        return FailureKind.NOT_FOUND
    if status in (408, 409, 429):
        return FailureKind.RATE_LIMITED
    if status >= 500:
        return FailureKind.SERVER
    return FailureKind.BAD_REQUEST


def classify(exc: BaseException) -> tuple[FailureKind, int | None] | None:
    """The kind (and HTTP status) of a failed call; None for an exception that is not a
    transport or API failure (a bug, which should surface as itself)."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status_kind(status), status
    chain = list(_chain(exc))
    for link in chain:
        if isinstance(link, socket.gaierror):
            again = link.errno == socket.EAI_AGAIN
            return (FailureKind.DNS_AGAIN if again else FailureKind.DNS), None
        if isinstance(link, ssl.SSLError | ssl.CertificateError):
            return FailureKind.TLS, None
        if isinstance(link, ConnectionRefusedError):
            return FailureKind.REFUSED, None
    names = {type(link).__name__ for link in chain}
    if any("Timeout" in name for name in names) or any(isinstance(x, TimeoutError) for x in chain):
        return FailureKind.TIMEOUT, None
    transport = any(_is_transport(link) for link in chain)
    if transport or any(isinstance(link, OSError) for link in chain):
        return FailureKind.CONNECTION, None
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen


def _is_transport(exc: BaseException) -> bool:
    """The SDK's connection error, or any exception of its HTTP stack (httpx, httpcore)."""
    module = type(exc).__module__.split(".")[0]
    return type(exc).__name__ == "APIConnectionError" or module.startswith(("httpx", "httpcore"))


def public_url(url: str) -> str:
    """``url`` fit for a log line: no user or password, secret-looking query values masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    query = urlencode(
        [(k, "<redacted>" if _SECRET_PARAM.search(k) else v)
         for k, v in parse_qsl(parts.query, keep_blank_values=True)],
        safe="<>",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def one_line(text: str, limit: int = DETAIL_CHARS) -> str:
    """``text`` with its whitespace folded, clipped to ``limit`` characters."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


__all__ = [
    "FailureKind",
    "ProviderCallError",
    "classify",
    "one_line",
    "public_url",
    "status_kind",
]

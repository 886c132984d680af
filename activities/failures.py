"""The one translator from an exception to Temporal's retry decision.

Whether an error is worth another attempt is the error's own property
(``checkpoint.errors.is_retryable``); this module only turns that answer into what Temporal acts
on. Temporal retries every activity failure unless it is a non-retryable ``ApplicationError`` or
its type name is listed in the ``RetryPolicy``, and a name list misses subclasses, so activities
(and the worker plugin's interceptor, for anything that slips past them) raise
``to_application_error``. The retry policy lists only what no activity code can translate
(``NON_RETRYABLE_ERROR_TYPES``): a list of every final type would add some 200 bytes to every
turn's history and decide nothing the interceptor has not. Pure (Temporal's exception types
only), so workflow code may import it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from temporalio.exceptions import ApplicationError

from checkpoint.errors import is_retryable

PAYLOAD_TOO_LARGE_TYPES = ("PayloadsTooLarge", "PayloadSizeError")
"""Error types Temporal gives an activity result over the server's blob size limit (core names it
``PayloadsTooLarge``; older SDKs ``PayloadSizeError``). Temporal itself would retry it forever."""

NON_RETRYABLE_ERROR_TYPES: tuple[str, ...] = PAYLOAD_TOO_LARGE_TYPES
"""Type names for the activities' ``RetryPolicy.non_retryable_error_types``: the payload-size
failures, which the SDK raises after the activity's code returned."""


def to_application_error(err: BaseException, context: str = "") -> ApplicationError | None:
    """A non-retryable ``ApplicationError`` keeping ``err``'s type name and message (prefixed by
    ``context``), or None when another attempt could succeed and ``err`` should stay as it is."""
    if isinstance(err, ApplicationError) or is_retryable(err):
        return None
    message = f"{context}: {err}" if context else str(err)
    return ApplicationError(message, type=type(err).__name__, non_retryable=True)


@contextlib.contextmanager
def final_failures(context: str) -> Iterator[None]:
    """Around an activity's body: an error no retry can fix leaves as a non-retryable
    ``ApplicationError`` saying ``context``; any other goes on as it is (Temporal retries it)."""
    try:
        yield
    except Exception as exc:
        failure = to_application_error(exc, context)
        if failure is None:
            raise
        raise failure from exc


__all__ = [
    "NON_RETRYABLE_ERROR_TYPES",
    "PAYLOAD_TOO_LARGE_TYPES",
    "final_failures",
    "to_application_error",
]

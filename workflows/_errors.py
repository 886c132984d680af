"""Which failures end a turn at once instead of being retried.

A retry helps when a worker died or a server was briefly away. It cannot help when the request
itself is wrong or the result can never fit in history; retrying those would loop forever.
"""

from __future__ import annotations

from pydantic import ValidationError

from checkpoint.errors import DETERMINISTIC_ERRORS as _LASH_DETERMINISTIC

PAYLOAD_TOO_LARGE_TYPES = ("PayloadsTooLarge", "PayloadSizeError")
"""Error types Temporal gives an activity result over the server's blob size limit (core names it
``PayloadsTooLarge``; older SDKs ``PayloadSizeError``). Temporal itself would retry it forever."""

DETERMINISTIC_ERRORS: tuple[type[Exception], ...] = (
    *_LASH_DETERMINISTIC,
    # A request that does not validate never will.
    ValidationError,
)
"""Errors (and their subclasses) that come out the same on every attempt. The plugin's activity
interceptor turns them into non-retryable failures, whatever subclass the activity raised."""

NON_RETRYABLE_ERROR_TYPES: tuple[str, ...] = (
    *sorted(cls.__name__ for cls in DETERMINISTIC_ERRORS),
    *PAYLOAD_TOO_LARGE_TYPES,
)
"""Type names for the turn activity's ``RetryPolicy.non_retryable_error_types``: the same rule
again on the workflow side, and the payload-size failures that no activity code raises."""

"""An activity interceptor that makes deterministic errors non-retryable.

Temporal retries every activity failure unless its type is listed as non-retryable, and it matches
by the exact class name, so a subclass of ``ContractError`` would slip through a name list. The
interceptor checks with ``isinstance`` instead and re-raises as a non-retryable ApplicationError
that keeps the original type name and message. A ``LashError`` that says ``retryable = False``
(a provider refusing a bad key, say) is treated the same way.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from checkpoint.errors import LashError
from workflows._errors import DETERMINISTIC_ERRORS


def is_deterministic(err: BaseException) -> bool:
    """True when another attempt with the same input would fail the same way."""
    if isinstance(err, DETERMINISTIC_ERRORS):
        return True
    return isinstance(err, LashError) and getattr(err, "retryable", None) is False


class _FailFastInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except Exception as err:
            if not is_deterministic(err):
                raise
            raise ApplicationError(str(err), type=type(err).__name__, non_retryable=True) from err


class FailFastInterceptor(Interceptor):
    """Worker interceptor: deterministic activity errors fail the turn on the first attempt."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FailFastInbound(next)

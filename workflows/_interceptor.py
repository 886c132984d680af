"""An activity interceptor that makes final errors non-retryable, whichever activity raised them.

Temporal retries every activity failure unless its type is listed as non-retryable, and it matches
by the exact class name, so a subclass of ``ContractError`` would slip through a name list. The
interceptor asks the error itself (``activities.failures.to_application_error``, the same
translator the activities use) and re-raises a final one as a non-retryable ApplicationError that
keeps the original type name and message.
"""

from __future__ import annotations

from typing import Any

from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from activities.failures import to_application_error


class _FailFastInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except Exception as err:
            failure = to_application_error(err)
            if failure is None:
                raise
            raise failure from err


class FailFastInterceptor(Interceptor):
    """Worker interceptor: final activity errors fail the turn on the first attempt."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FailFastInbound(next)

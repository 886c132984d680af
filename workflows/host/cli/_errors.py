"""Expected failures of the CLI, each one line that names what failed (address, store, session).

Temporal's client raises a ``RuntimeError`` when it cannot connect and an ``RPCError`` with a
status for everything else; these helpers turn the ones a user can cause into a ``CliError``.
"""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from checkpoint.errors import LashError
from checkpoint.store import redact_url
from workflows.contract import workflow_id


class CliError(LashError):
    """An expected failure: printed as ``lash-temporal: error: <message>``, exit code 1."""


def unreachable(address: str, reason: str = "") -> CliError:
    """The Temporal frontend did not answer; ``reason`` is the transport's own word, if short."""
    detail = f": {reason}" if reason else ""
    return CliError(
        f"cannot reach Temporal at {address} (is `lash-temporal dev` running?){detail}"
    )


def no_session(session_id: str, address: str) -> CliError:
    """No workflow ``lash-session/<id>`` exists."""
    return CliError(
        f"no session {session_id!r} (no workflow {workflow_id(session_id)} at {address})"
    )


def no_worker(task_queue: str, address: str) -> CliError:
    """Nothing polls the task queue, so a message would wait forever."""
    return CliError(
        f"no worker is polling task queue {task_queue!r} at {address} "
        "(start one with `lash-temporal worker` or `lash-temporal dev`)"
    )


def from_rpc(err: RPCError, *, address: str, session_id: str | None = None) -> CliError:
    """An RPC failure as one line: a missing session, a lost server, or the server's message."""
    if err.status == RPCStatusCode.NOT_FOUND and session_id is not None:
        return no_session(session_id, address)
    if err.status == RPCStatusCode.UNAVAILABLE:
        return CliError(f"lost the connection to Temporal at {address}: {err.message}")
    if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
        return CliError(f"Temporal at {address} did not answer in time: {err.message}")
    return CliError(f"Temporal at {address} refused the request: {err.message}")


def innermost(err: BaseException) -> BaseException:
    """The first cause of a chain: what a refused update's validator said (it names the rule)."""
    while err.__cause__ is not None:
        err = err.__cause__
    return err


def from_update(err: WorkflowUpdateFailedError, session_id: str) -> CliError:
    """A refused message or a failed turn, with the innermost reason (it names the rule)."""
    return CliError(f"session {session_id!r}: the turn failed: {innermost(err)}")


def one_line(err: BaseException) -> str:
    """The error text on one line, with any URL password masked."""
    return " ".join(redact_url(str(err)).split()) or type(err).__name__

"""``lash-temporal interrupt SESSION``: the "stop generating" button.

The running turn stops at its next safe point (between model and tool steps), commits what it
completed, and its caller hears "interrupted"; the session takes the next message as usual.
"""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from workflows.host import client as lash
from workflows.host.cli._access import connect_to
from workflows.host.cli._config import Target
from workflows.host.cli._errors import CliError, from_rpc, innermost


async def interrupt(target: Target, session_id: str) -> str:
    """Ask the session to stop its running turn; the line to print."""
    client = await connect_to(target)
    try:
        turn = await lash.interrupt(client, session_id)
    except RPCError as err:
        raise from_rpc(err, address=target.address, session_id=session_id) from err
    except WorkflowUpdateFailedError as err:
        raise CliError(f"cannot interrupt: {innermost(err)}") from err
    return f"interrupt requested: turn {turn} of session {session_id!r} stops at its next step"

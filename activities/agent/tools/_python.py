"""Code mode: a persistent Python interpreter whose globals survive turns and workers.

Each call runs in a child process of its own (``_code_process``): no provider keys, no signing
key, no store URL, and limits on wall time, CPU time and memory. The globals travel as
cloudpickle bytes: the child unpickles them, runs the code and pickles them again; the worker
keeps them as opaque bytes and never unpickles them, since model code shapes what they contain.
After a call they are marked dirty, and the turn stores them signed (HMAC, ``_exec_state``) as
``execution_state_snapshot``. Values that cannot be pickled (open files, locks, ...) are dropped
from the globals and named. Code mode is no sandbox against a determined attacker (see
``_code_process``): it keeps secrets out of the code's reach and the worker alive.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from activities.agent.tools._code_process import CodeLimits, run_in_child
from activities.agent.tools._definition import BUILTIN_SOURCE
from activities.agent.tools._exec_state import dump_signed, sign, verify
from activities.agent.tools._function import adapted
from activities.agent.tools._types import ToolContext, ToolOutput, string_parameter


class PythonInterpreter:
    """One session's globals as cloudpickle bytes, plus a dirty flag (spec §8.4: snapshot only
    when dirty).

    ``state`` is None for empty globals. The worker only signs, stores and forwards it.
    """

    def __init__(self, state: bytes | None = None, *, limits: CodeLimits | None = None) -> None:
        self.state = state
        self.limits = limits or CodeLimits.from_env()
        self.dropped: tuple[str, ...] = ()
        """Names the last call left out of the globals because they do not pickle."""
        self.dirty = False

    @classmethod
    def from_signed(
        cls, blob: bytes | None, key: bytes, *, limits: CodeLimits | None = None
    ) -> PythonInterpreter:
        """Restore from signed bytes (None gives an empty interpreter); the signature is checked
        here, so tampered state is refused before any child sees it."""
        return cls(verify(blob, key) if blob else None, limits=limits)

    def restore_signed(self, blob: bytes, key: bytes) -> None:
        """Take signed globals (e.g. a journaled batch's) as this interpreter's."""
        self.state = verify(blob, key)
        self.dropped = ()

    async def run(self, code: str) -> tuple[str, bool]:
        """Execute ``code`` in a child; returns (printed output plus the last expression's repr,
        ok). A child that dies or passes a limit leaves the globals as they were."""
        result = await run_in_child(code, self.state, self.limits)
        if result.state is not None:
            self.state = result.state
            self.dropped = result.dropped
            self.dirty = True
        return result.text, result.ok

    def export_signed(self, key: bytes) -> tuple[bytes, list[str]]:
        """Signed snapshot of the globals, and the names the last call had to drop."""
        blob = sign(self.state, key) if self.state is not None else dump_signed({}, key)
        return blob, list(self.dropped)


class PythonTool:
    """The ``python`` tool: runs code in the session's interpreter, in a child process."""

    name = "python"
    description = (
        "Run Python code in a persistent interpreter; variables survive across turns. "
        "The value of the last expression is returned."
    )
    parameters = string_parameter("code")

    def __init__(self, interpreter: PythonInterpreter) -> None:
        self.interpreter = interpreter

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        code = args.get("code")
        if not isinstance(code, str):
            return ToolOutput.failed("invalid_request", "python needs a string argument `code`")
        text, ok = await self.interpreter.run(code)
        return (
            ToolOutput(value={"output": text}, text=text)
            if ok
            else ToolOutput.failed("execution", text)
        )


class CodeArguments(BaseModel):
    code: str


PYTHON = adapted(
    lambda parts: PythonTool(parts.interpreter),
    name=PythonTool.name,
    description=PythonTool.description,
    args=CodeArguments,
    code_mode=True,
    source_id=BUILTIN_SOURCE,
)

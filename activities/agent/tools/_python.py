"""Code mode: a persistent Python interpreter whose globals survive turns and workers.

The globals are the session's execution state: after code runs they are marked dirty, and the
turn stores them (signed, see ``_exec_state``) as ``execution_state_snapshot``. Values that
cannot be pickled (open files, sockets, ...) are dropped from the snapshot and named in the output.
"""

from __future__ import annotations

import ast
import asyncio
import io
from typing import Any

import cloudpickle

from activities.agent.tools._exec_state import dump_signed, load_signed
from activities.agent.tools._types import ToolContext, ToolOutput

_HIDDEN = frozenset({"__builtins__", "print"})
_MAX_OUTPUT_CHARS = 8_000


class PythonInterpreter:
    """One session's globals plus a dirty flag (spec §8.4: snapshot only when dirty)."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})
        self.dirty = False

    @classmethod
    def from_signed(cls, blob: bytes | None, key: bytes) -> PythonInterpreter:
        """Restore from signed bytes (None gives an empty interpreter)."""
        return cls(load_signed(blob, key) if blob else None)

    def run(self, code: str) -> tuple[str, bool]:
        """Execute ``code``; returns (printed output plus the last expression's repr, ok)."""
        out = io.StringIO()
        scope = dict(self.values)
        scope["print"] = lambda *a, **k: print(*a, **{**k, "file": out})
        ok = True
        try:
            tree = ast.parse(code, mode="exec")
            last = tree.body[-1] if tree.body else None
            if isinstance(last, ast.Expr):
                tree.body.pop()
            exec(compile(tree, "<python tool>", "exec"), scope)
            if isinstance(last, ast.Expr):
                value = eval(compile(ast.Expression(last.value), "<python tool>", "eval"), scope)
                if value is not None:
                    out.write(repr(value) + "\n")
        except Exception as exc:
            ok = False
            out.write(f"{type(exc).__name__}: {exc}\n")
        self.values = {k: v for k, v in scope.items() if k not in _HIDDEN}
        self.dirty = True
        text = out.getvalue()
        return (text[:_MAX_OUTPUT_CHARS] or "(no output)"), ok

    def export_signed(self, key: bytes) -> tuple[bytes, list[str]]:
        """Signed snapshot of the picklable globals, and the names that had to be dropped."""
        try:
            return dump_signed(self.values, key), []
        except Exception:
            kept: dict[str, Any] = {}
            dropped: list[str] = []
            for name, value in self.values.items():
                try:
                    cloudpickle.dumps(value)
                    kept[name] = value
                except Exception:
                    dropped.append(name)
            return dump_signed(kept, key), sorted(dropped)


class PythonTool:
    """The ``python`` tool: runs code in the session's interpreter."""

    name = "python"
    description = (
        "Run Python code in a persistent interpreter; variables survive across turns. "
        "The value of the last expression is returned."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {"code": {"type": "string"}},
        "required": ["code"],
    }

    def __init__(self, interpreter: PythonInterpreter) -> None:
        self.interpreter = interpreter

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        code = args.get("code")
        if not isinstance(code, str):
            return ToolOutput.failed("invalid_request", "python needs a string argument `code`")
        text, ok = await asyncio.to_thread(self.interpreter.run, code)
        return (
            ToolOutput(value={"output": text}, text=text)
            if ok
            else ToolOutput.failed("execution", text)
        )

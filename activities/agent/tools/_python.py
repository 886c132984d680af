"""Code mode: a persistent Python interpreter whose globals survive turns and workers.

The globals are the session's execution state: after code runs they are marked dirty, and the
turn stores them (signed, see ``_exec_state``) as ``execution_state_snapshot``. Values that
cannot be pickled (open files, sockets, ...) are dropped from the snapshot (and logged). Methods
of user classes keep the globals they were unpickled with; top-level functions are rebound.
The code runs in the worker process with the worker's rights: code mode is not a sandbox.
"""

from __future__ import annotations

import ast
import asyncio
import io
import types
from typing import Any

import cloudpickle

from activities.agent.tools._exec_state import dump_signed, load_signed
from activities.agent.tools._types import ToolContext, ToolOutput, string_parameter

_HIDDEN = frozenset({"__builtins__", "print"})
_FILENAME = "<python tool>"
_MODULE = "__lash_python__"
"""Not an importable module, so cloudpickle stores user classes and functions by value."""
_MAX_OUTPUT_CHARS = 8_000


class PythonInterpreter:
    """One session's globals plus a dirty flag (spec §8.4: snapshot only when dirty).

    ``values`` is the one globals dict every run executes in, so functions defined in one run
    see (and update) globals of later runs, as in a REPL.
    """

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.replace(values or {})
        self.dirty = False

    def replace(self, values: dict[str, Any]) -> None:
        """Take ``values`` as the globals (e.g. unpickled ones), rebinding their functions."""
        self.values = {"__name__": _MODULE, **values}
        _rebind_functions(self.values)

    @classmethod
    def from_signed(cls, blob: bytes | None, key: bytes) -> PythonInterpreter:
        """Restore from signed bytes (None gives an empty interpreter)."""
        return cls(load_signed(blob, key) if blob else None)

    def run(self, code: str) -> tuple[str, bool]:
        """Execute ``code``; returns (printed output plus the last expression's repr, ok)."""
        out = io.StringIO()
        scope = self.values

        def printer(*args: Any, **kwargs: Any) -> None:
            print(*args, **{**kwargs, "file": out})

        scope["print"] = printer
        ok = True
        try:
            tree = ast.parse(code, mode="exec")
            last = tree.body[-1] if tree.body else None
            if isinstance(last, ast.Expr):
                tree.body.pop()
            exec(compile(tree, _FILENAME, "exec"), scope)
            if isinstance(last, ast.Expr):
                value = eval(compile(ast.Expression(last.value), _FILENAME, "eval"), scope)
                if value is not None:
                    out.write(repr(value) + "\n")
        except Exception as exc:
            ok = False
            out.write(f"{type(exc).__name__}: {exc}\n")
        finally:
            if scope.get("print") is printer:
                del scope["print"]
            self.dirty = True
        text = out.getvalue()
        return (text[:_MAX_OUTPUT_CHARS] or "(no output)"), ok

    def _picklable_view(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k not in _HIDDEN}

    def export_signed(self, key: bytes) -> tuple[bytes, list[str]]:
        """Signed snapshot of the picklable globals, and the names that had to be dropped."""
        values = self._picklable_view()
        try:
            return dump_signed(values, key), []
        except Exception:
            kept: dict[str, Any] = {}
            dropped: list[str] = []
            for name, value in values.items():
                try:
                    cloudpickle.dumps(value)
                    kept[name] = value
                except Exception:
                    dropped.append(name)
            return dump_signed(kept, key), sorted(dropped)


def _rebind_functions(values: dict[str, Any]) -> None:
    """Unpickled functions get a globals dict of their own; point them back at ``values``."""
    for name, value in list(values.items()):
        if (
            isinstance(value, types.FunctionType)
            and value.__module__ == _MODULE
            and value.__globals__ is not values
        ):
            fresh = types.FunctionType(
                value.__code__, values, value.__name__, value.__defaults__, value.__closure__
            )
            fresh.__kwdefaults__ = value.__kwdefaults__
            fresh.__qualname__ = value.__qualname__
            fresh.__doc__ = value.__doc__
            fresh.__dict__.update(value.__dict__)
            values[name] = fresh


class PythonTool:
    """The ``python`` tool: runs code in the session's interpreter."""

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
        text, ok = await asyncio.to_thread(self.interpreter.run, code)
        return (
            ToolOutput(value={"output": text}, text=text)
            if ok
            else ToolOutput.failed("execution", text)
        )

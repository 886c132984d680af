"""The code-mode child: runs one ``python`` tool call in a process of its own.

Started by ``_code_process`` as ``python -I -S <this file> CPU_S MEMORY_BYTES FILE_BYTES
SITE_DIR...``: the worker's site-packages are importable (cloudpickle, and whatever else is
installed), but their .pth files do not run, so the project's editable install stays out and
startup is quicker. It sets its own
limits first, reads one request from stdin (a JSON header, then the globals as cloudpickle bytes),
runs the code with stdout and stderr going to the file the parent gave it, and writes one response
to the pipe that was its stdout (a JSON header, then the new globals as cloudpickle bytes).

The globals are unpickled only here, never in the worker: model code can put anything into them,
including objects whose unpickling runs code. The parent only signs and forwards the bytes.
The framing helpers below are the protocol's one owner; the parent imports them, and they touch
nothing but bytes and JSON.
"""

from __future__ import annotations

import ast
import io
import json
import os
import struct
import sys
import types
from typing import Any, BinaryIO

MODULE = "__lash_python__"
"""Not an importable module, so cloudpickle stores user classes and functions by value."""
FILENAME = "<python tool>"
HIDDEN = frozenset({"__builtins__"})
EXIT_MEMORY = 3
"""Exit status when memory ran out outside the user's code (unpickling, pickling)."""
EXIT_STATE = 4
"""Exit status when the globals do not unpickle (e.g. they name a module the child lacks)."""
_LEN = struct.Struct(">I")


def encode_frame(header: dict[str, Any], payload: bytes) -> bytes:
    """``len(header) + header JSON + payload``: the one message each way."""
    head = json.dumps(header).encode()
    return _LEN.pack(len(head)) + head + payload


def decode_frame(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and the payload of a frame; ValueError when it is not one."""
    if len(data) < _LEN.size:
        raise ValueError("truncated frame")
    (size,) = _LEN.unpack_from(data)
    head = data[_LEN.size : _LEN.size + size]
    if len(head) != size:
        raise ValueError("truncated frame header")
    header = json.loads(head)
    if not isinstance(header, dict):
        raise ValueError("frame header is not an object")
    return header, data[_LEN.size + size :]


def _set_limits(cpu_s: int, memory_bytes: int, file_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))


def _rebind_functions(values: dict[str, Any]) -> None:
    """Unpickled functions get a globals dict of their own; point them back at ``values``."""
    for name, value in list(values.items()):
        if (
            isinstance(value, types.FunctionType)
            and value.__module__ == MODULE
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


def run_code(code: str, scope: dict[str, Any]) -> tuple[bool, str | None]:
    """Execute ``code`` in ``scope``, printing the last expression's repr; (ok, limit hit)."""
    try:
        tree = ast.parse(code, mode="exec")
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            tree.body.pop()
        exec(compile(tree, FILENAME, "exec"), scope)
        if isinstance(last, ast.Expr):
            value = eval(compile(ast.Expression(last.value), FILENAME, "eval"), scope)
            if value is not None:
                print(repr(value))
        return True, None
    except MemoryError:
        print("MemoryError")
        return False, "memory"
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the call failed
        print(f"{type(exc).__name__}: {exc}")
        return False, None


def pickle_globals(scope: dict[str, Any]) -> tuple[bytes, list[str]]:
    """The picklable globals as cloudpickle bytes, and the names that had to be dropped."""
    import cloudpickle

    values = {k: v for k, v in scope.items() if k not in HIDDEN}
    try:
        return cloudpickle.dumps(values), []
    except Exception:
        kept: dict[str, Any] = {}
        dropped: list[str] = []
        for name, value in values.items():
            try:
                cloudpickle.dumps(value)
                kept[name] = value
            except Exception:
                dropped.append(name)
        return cloudpickle.dumps(kept), sorted(dropped)


def serve(request: bytes, channel: BinaryIO) -> None:
    """Run one request and write its response to ``channel``."""
    import cloudpickle

    header, state = decode_frame(request)
    try:
        values = cloudpickle.loads(state) if state else {}
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}")
        os._exit(EXIT_STATE)
    scope: dict[str, Any] = {"__name__": MODULE, **values}
    _rebind_functions(scope)
    ok, limit = run_code(str(header["code"]), scope)
    sys.stdout.flush()
    sys.stderr.flush()
    payload, dropped = pickle_globals(scope)
    channel.write(encode_frame({"ok": ok, "limit": limit, "dropped": dropped}, payload))
    channel.flush()


def main(argv: list[str]) -> None:
    cpu_s, memory_bytes, file_bytes = (int(arg) for arg in argv[1:4])
    _set_limits(cpu_s, memory_bytes, file_bytes)
    sys.path.extend(argv[4:])  # site-packages, without running their .pth files (python -S)
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the user's stdout joins stderr in the output file; fd 1 was the channel
    # Line-buffered, so print and what other processes (os.system) write to fd 1 keep their order.
    sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), line_buffering=True)  # noqa: SIM115
    request = sys.stdin.buffer.read()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    try:
        serve(request, channel)
    except MemoryError:
        os._exit(EXIT_MEMORY)
    # os._exit: user threads and atexit hooks must not keep the process, or run, after the call.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)

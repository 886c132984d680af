"""What running each ``python`` call in its own process costs, against the old in-process call.

Prints (not a test) the median time of one call, ``n = len(data)``, over a namespace holding a
1 KB and a 1 MB value, for:
- in process: the old way, exec in the worker's globals, then pickle and sign them (the turn
  exports the globals after every python call);
- child process: spawn ``python -I _code_child.py``, send the pickled globals, unpickle, exec,
  pickle, send them back, sign.

Run: ``python -m benchmarks code``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import statistics
import time
from typing import Any

from activities.agent.tools import CodeLimits, PythonInterpreter, dump_signed
from activities.agent.tools._code_child import MODULE, pickle_globals, run_code
from activities.agent.tools._exec_state import sign

KEY = b"bench-code-key-0123456789"
CODE = "n = len(data)"
SIZES = {"1 KB": 1024, "1 MB": 2**20}
CALLS = 15


def _in_process(scope: dict[str, Any]) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        run_code(CODE, scope)
    payload, _dropped = pickle_globals(scope)
    sign(payload, KEY)
    return time.perf_counter() - started


async def _child(interp: PythonInterpreter) -> float:
    started = time.perf_counter()
    _text, ok = await interp.run(CODE)
    interp.export_signed(KEY)
    assert ok
    return time.perf_counter() - started


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _measure(size: int) -> tuple[float, float]:
    data = os.urandom(size)
    scope: dict[str, Any] = {"__name__": MODULE, "data": data}
    old = [_in_process(scope) for _ in range(CALLS)]
    interp = PythonInterpreter.from_signed(dump_signed({"data": data}, KEY), KEY,
                                           limits=CodeLimits())
    await _child(interp)  # warm the page cache for the child's imports
    new = [await _child(interp) for _ in range(CALLS)]
    return _ms(old), _ms(new)


def main() -> None:
    print(f"one python call, median of {CALLS} ({CODE!r})")
    print(f"{'namespace':>10} {'in process':>12} {'child process':>14} {'ratio':>8}")
    for label, size in SIZES.items():
        old, new = asyncio.run(_measure(size))
        print(f"{label:>10} {old:>10.2f}ms {new:>12.2f}ms {new / old:>7.0f}x")


if __name__ == "__main__":
    main()

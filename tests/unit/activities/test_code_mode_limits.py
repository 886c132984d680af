"""Code mode limits: a runaway call is a tool failure naming what happened; the worker lives on."""

from __future__ import annotations

import time

import pytest

from activities.agent.tools import (
    CodeLimits,
    PythonInterpreter,
    PythonTool,
    ToolContext,
)
from checkpoint.errors import ConfigError

CTX = ToolContext(session_id="s", turn_id="t", turn_index=1, step=0, call_id="c")


async def _call(code: str, limits: CodeLimits) -> tuple[PythonInterpreter, str, str | None]:
    interp = PythonInterpreter(limits=limits)
    await interp.run("kept = 7")
    out = await PythonTool(interp).run({"code": code}, CTX)
    return interp, out.text, out.failure_class


async def _still_serves(interp: PythonInterpreter) -> None:
    assert await interp.run("kept") == ("7\n", True)


async def test_an_infinite_loop_hits_the_wall_time_limit() -> None:
    """A loop that never ends is killed after the wall time."""
    started = time.monotonic()
    interp, text, failure = await _call("while True: pass", CodeLimits(timeout_s=1, cpu_s=30))
    assert failure == "execution" and "exceeded the 1 s wall-time limit" in text
    assert time.monotonic() - started < 10
    await _still_serves(interp)


async def test_a_sleeping_child_hits_the_wall_time_limit_and_its_children_die() -> None:
    """Time asleep counts too, and a process the code started is killed with it."""
    code = "import subprocess\nsubprocess.Popen(['sleep', '60'])\nimport time; time.sleep(60)"
    interp, text, _ = await _call(code, CodeLimits(timeout_s=1))
    assert "wall-time limit" in text
    await _still_serves(interp)


async def test_a_busy_loop_hits_the_cpu_time_limit() -> None:
    """RLIMIT_CPU stops a loop before a longer wall time does."""
    interp, text, _ = await _call("while True: pass", CodeLimits(timeout_s=30, cpu_s=1))
    assert "exceeded the 1 s CPU-time limit" in text
    await _still_serves(interp)


async def test_a_memory_bomb_hits_the_memory_limit() -> None:
    """Allocating 4 GiB under a 256 MiB address-space limit fails the call, not the worker."""
    interp, text, _ = await _call("b = bytearray(4 * 2**30)", CodeLimits(memory_mb=256))
    assert "exceeded the 256 MiB memory limit" in text
    await _still_serves(interp)


async def test_os_exit_is_reported() -> None:
    """os._exit ends the child without a result: a failure saying how it exited."""
    interp, text, _ = await _call("import os; os._exit(1)", CodeLimits())
    assert "exited with status 1" in text
    await _still_serves(interp)


async def test_a_segfault_is_reported() -> None:
    """Reading address 0 crashes the child interpreter, never the worker."""
    interp, text, _ = await _call("import ctypes; ctypes.string_at(0)", CodeLimits())
    assert "segmentation fault (SIGSEGV)" in text
    await _still_serves(interp)


async def test_output_up_to_the_failure_is_kept() -> None:
    """What the code printed before it died is part of the failure text."""
    _, text, _ = await _call("print('before', flush=True)\nwhile True: pass",
                             CodeLimits(timeout_s=1))
    assert text.endswith("before\n")


def test_limits_come_from_the_worker_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """LASH_CODE_* set the limits; CPU time follows the wall time unless set."""
    monkeypatch.setenv("LASH_CODE_TIMEOUT_S", "12")
    monkeypatch.setenv("LASH_CODE_MEMORY_MB", "300")
    assert CodeLimits.from_env() == CodeLimits(timeout_s=12, cpu_s=12, memory_mb=300)
    monkeypatch.setenv("LASH_CODE_CPU_S", "0")
    with pytest.raises(ConfigError, match="LASH_CODE_CPU_S"):
        CodeLimits.from_env()

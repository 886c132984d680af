"""Code mode: each ``python`` call runs in a child process; globals persist as signed bytes."""

from __future__ import annotations

import pytest

from activities.agent.tools import (
    CodeLimits,
    PythonInterpreter,
    dump_signed,
    protect_worker_environment,
    sign,
)
from checkpoint.errors import ExecutionStateError
from tests.unit.activities.test_execution_state import UNPICKLED, _Tripwire

KEY = b"test-key"
LIMITS = CodeLimits(timeout_s=5, cpu_s=5, memory_mb=512)


def _interp(blob: bytes | None = None, limits: CodeLimits = LIMITS) -> PythonInterpreter:
    return PythonInterpreter.from_signed(blob, KEY, limits=limits)


async def test_globals_persist_and_the_last_expression_is_returned() -> None:
    """Variables persist between calls; print output then the last expression's repr."""
    interp = _interp()
    assert await interp.run("x = 20") == ("(no output)", True)
    assert await interp.run("print('hi')\nx + 1") == ("hi\n21\n", True)
    assert interp.dirty


async def test_errors_are_reported_without_losing_globals() -> None:
    """An exception (SystemExit too) is the call's output; earlier globals survive."""
    interp = _interp()
    await interp.run("x = 1")
    text, ok = await interp.run("1/0")
    assert not ok and "ZeroDivisionError" in text
    assert (await interp.run("import sys; sys.exit(3)"))[1] is False
    assert await interp.run("x") == ("1\n", True)


async def test_globals_persist_across_a_fresh_interpreter_from_signed_bytes() -> None:
    """A function writing a global works after the globals travel signed to a new interpreter."""
    interp = _interp()
    await interp.run("n = 0\ndef inc():\n    global n\n    n += 1\n    return n")
    assert await interp.run("inc(); n") == ("1\n", True)
    restored = _interp(interp.export_signed(KEY)[0])
    assert await restored.run("inc(); n") == ("2\n", True)
    assert await restored.run("class P:\n    def hi(self):\n        print('hi')") == (
        "(no output)", True)
    again = _interp(restored.export_signed(KEY)[0])
    assert await again.run("P().hi()") == ("hi\n", True)


async def test_unpicklable_globals_are_dropped_and_named() -> None:
    """A lock cannot be pickled: it leaves the globals and the export names it."""
    interp = _interp()
    await interp.run("import threading\nlock = threading.Lock()\nx = 3")
    blob, dropped = interp.export_signed(KEY)
    assert dropped == ["lock"]
    assert await _interp(blob).run("x * 2") == ("6\n", True)


async def test_output_never_reaches_the_worker(capfd: pytest.CaptureFixture[str]) -> None:
    """print, stderr and a shell command's output are the tool's output, not the worker's."""
    interp = _interp()
    code = "import os, sys\nprint('a')\nprint('b', file=sys.stderr)\nos.system('echo c')"
    assert await interp.run(code) == ("a\nb\nc\n0\n", True)
    assert capfd.readouterr() == ("", "")


async def test_the_worker_never_unpickles_the_globals() -> None:
    """The worker keeps the globals as bytes: a tripwire in them is unpickled (and here fails,
    since the child cannot import the tests) only in the child, and they stay as they were."""
    blob = dump_signed({"trap": _Tripwire()}, KEY)
    interp = _interp(blob)
    text, ok = await interp.run("1")
    assert not ok and "globals do not unpickle" in text and "No module named 'tests'" in text
    assert interp.export_signed(KEY)[0] == blob and UNPICKLED == []


def test_tampered_globals_are_refused_before_any_child_runs() -> None:
    """from_signed checks the signature; bytes signed with another key are refused."""
    with pytest.raises(ExecutionStateError, match="signature does not match"):
        _interp(sign(b"payload", b"other-key"))


async def test_environment_is_an_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Canary: the child's os.environ holds neither the provider key nor the signing key."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-openai")
    monkeypatch.setenv("LASH_EXECUTION_STATE_KEY", "canary-signing-key-0123456789")
    monkeypatch.setenv("LASH_TEMPORAL_STORE", "postgresql://lash:canary@db/lash")
    text, ok = await _interp().run("import os\nprint(dict(os.environ))\nos.getcwd()")
    assert ok
    for secret in ("sk-canary-openai", "canary-signing-key", "canary@db", "OPENAI_API_KEY"):
        assert secret not in text


async def test_the_worker_environment_is_not_readable_through_proc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Canary: the child cannot read the worker's /proc/<pid>/environ either (as root the child
    runs as nobody; otherwise the worker is non-dumpable)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-proc")
    protect_worker_environment()
    code = (
        "import os\n"
        "try:\n"
        "    print(open(f'/proc/{os.getppid()}/environ', 'rb').read())\n"
        "except OSError as err:\n"
        "    print('refused:', type(err).__name__)\n"
    )
    text, ok = await _interp().run(code)
    assert ok, text
    assert "sk-canary-proc" not in text
    assert text.startswith("refused: PermissionError"), text


async def test_the_child_works_in_a_directory_of_its_own_removed_after() -> None:
    """cwd and HOME are a fresh temporary directory, gone once the call ends."""
    from pathlib import Path

    text, ok = await _interp().run("import os\nopen('f', 'w').write('x')\nos.getcwd()")
    workdir = Path(eval(text))
    assert ok and workdir.name.startswith("lash-code-") and not workdir.exists()

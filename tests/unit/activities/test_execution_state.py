"""Signed execution state and the python tool's persistent globals."""

from __future__ import annotations

import pickle

import pytest

from activities.agent.tools import PythonInterpreter, dump_signed, load_signed, sign, verify
from checkpoint.errors import ExecutionStateError

KEY = b"test-key"


UNPICKLED: list[str] = []


def _record_unpickle(tag: str) -> str:
    UNPICKLED.append(tag)
    return tag


class _Tripwire:
    """Unpickling this calls ``_record_unpickle``: proof that bytes were unpickled."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (_record_unpickle, ("tripwire",))


def test_signed_state_round_trips() -> None:
    """Signed globals load back with the same key."""
    assert load_signed(dump_signed({"x": 41, "f": lambda y: y + 1}, KEY), KEY)["x"] == 41


def test_unsigned_bytes_are_refused_without_unpickling() -> None:
    """Raw pickle bytes (no signature) raise ExecutionStateError."""
    with pytest.raises(ExecutionStateError, match="not signed"):
        load_signed(pickle.dumps({"x": 1}), KEY)


def test_tampered_payload_is_refused() -> None:
    """Flipping one payload byte breaks the signature."""
    blob = bytearray(dump_signed({"x": 1}, KEY))
    blob[-2] ^= 0x01
    with pytest.raises(ExecutionStateError, match="signature does not match"):
        load_signed(bytes(blob), KEY)


def test_state_signed_with_another_key_is_refused() -> None:
    """A blob signed with another worker key is refused."""
    with pytest.raises(ExecutionStateError, match="signature does not match"):
        verify(sign(b"payload", b"other"), KEY)


def test_malicious_pickle_with_forged_prefix_is_never_unpickled() -> None:
    """A payload carrying a bad signature is rejected before cloudpickle sees it."""
    forged = sign(pickle.dumps({"x": _Tripwire()}), b"attacker")
    with pytest.raises(ExecutionStateError):
        load_signed(forged, KEY)
    with pytest.raises(ExecutionStateError):
        load_signed(pickle.dumps({"x": _Tripwire()}), KEY)
    assert UNPICKLED == []


def test_interpreter_keeps_globals_and_returns_last_expression() -> None:
    """Variables persist between runs; the last expression's repr is the output."""
    interp = PythonInterpreter()
    assert interp.run("x = 20")[0] == "(no output)"
    text, ok = interp.run("print('hi')\nx + 1")
    assert ok and text == "hi\n21\n"
    assert interp.dirty


def test_interpreter_reports_errors_without_losing_globals() -> None:
    """An exception is reported as output and earlier globals survive."""
    interp = PythonInterpreter()
    interp.run("x = 1")
    text, ok = interp.run("1/0")
    assert not ok and "ZeroDivisionError" in text
    assert interp.values["x"] == 1


def test_interpreter_snapshot_drops_unpicklable_values_and_names_them() -> None:
    """Unpicklable globals are left out of the snapshot and reported."""
    interp = PythonInterpreter()
    interp.run("import threading\nlock = threading.Lock()\nx = 3")
    blob, dropped = interp.export_signed(KEY)
    assert dropped == ["lock"]
    restored = PythonInterpreter.from_signed(blob, KEY)
    assert restored.run("x * 2")[0] == "6\n"


def test_functions_update_globals_across_runs_and_restores() -> None:
    """A function writing a global works in later runs and after a signed round trip."""
    interp = PythonInterpreter()
    interp.run("n = 0\ndef inc():\n    global n\n    n += 1\n    return n")
    assert interp.run("inc(); n")[0] == "1\n"
    restored = PythonInterpreter.from_signed(interp.export_signed(KEY)[0], KEY)
    assert restored.run("inc(); n")[0] == "2\n"


def test_print_inside_a_restored_function_goes_to_the_tool_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Output of functions defined earlier is captured, never written to the worker's stdout."""
    interp = PythonInterpreter()
    interp.run("def hello():\n    print('hi')")
    restored = PythonInterpreter.from_signed(interp.export_signed(KEY)[0], KEY)
    assert restored.run("hello()")[0] == "hi\n"
    assert capsys.readouterr().out == ""

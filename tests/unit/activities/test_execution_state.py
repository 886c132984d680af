"""Signed execution state: HMAC over cloudpickle bytes, refused unless the signature matches."""

from __future__ import annotations

import pickle

import pytest

from activities.agent.tools import dump_signed, load_signed, sign, verify
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

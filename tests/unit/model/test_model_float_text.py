"""Floats are written as serde_json writes them (ryu), wherever the model writes JSON text."""

from __future__ import annotations

import hashlib
import json
import math
import random
import struct

import pytest

from checkpoint.model import OutcomeSuccess, ToolCallOutput, ToolCallRecord
from checkpoint.model._json_text import compact_json, ryu_float, serde_json_text
from checkpoint.model._node_ids import stable_tool_call_key

# ryu's pretty::format64: shortest round-trip digits; positional for 1e-5 <= |x| < 1e16 with
# ".0" on integral values; otherwise d[.ddd]e<exp>, no "+" and no zero padding in the exponent.
SERDE_SPELLINGS = [
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (1.0, "1.0"),
    (-2.0, "-2.0"),
    (0.1, "0.1"),
    (0.3, "0.3"),
    (2 / 3, "0.6666666666666666"),
    (123.456, "123.456"),
    (100.0, "100.0"),
    (0.0001, "0.0001"),
    (1e-5, "0.00001"),
    (1.5e-5, "0.000015"),
    (1e-6, "1e-6"),
    (2.5e-6, "2.5e-6"),
    (1e-7, "1e-7"),
    (-1e-7, "-1e-7"),
    (1e15, "1000000000000000.0"),
    (9007199254740992.0, "9007199254740992.0"),
    (1e16, "1e16"),
    (1.5e16, "1.5e16"),
    (1.2345678901234568e17, "1.2345678901234568e17"),
    (1e21, "1e21"),
    (1e300, "1e300"),
    (1.7976931348623157e308, "1.7976931348623157e308"),
    (5e-324, "5e-324"),
    (1e-300, "1e-300"),
]


@pytest.mark.parametrize(("value", "spelling"), SERDE_SPELLINGS)
def test_floats_are_spelled_as_ryu_spells_them(value: float, spelling: str) -> None:
    """The reference port, the compact writer and a model dump all give ryu's spelling."""
    assert ryu_float(value) == spelling
    assert compact_json([value]) == f"[{spelling}]"
    record = ToolCallRecord(
        call_id="c", tool="t", args={"x": value},
        output=ToolCallOutput(outcome=OutcomeSuccess(payload=value)), duration_ms=1,
    )
    text = record.model_dump_json()
    assert f'"args":{{"x":{spelling}}}' in text and f'"payload":{spelling}' in text
    assert ToolCallRecord.model_validate_json(text) == record


def test_pydantic_core_matches_ryu_on_random_floats() -> None:
    """The exponent fix-up over pydantic-core's writer agrees with the ryu port everywhere."""
    rng = random.Random(11)
    for _ in range(20_000):
        bits = rng.getrandbits(64)
        for value in (struct.unpack("<d", struct.pack("<Q", bits))[0],
                      rng.random() * 10.0 ** rng.randint(-8, 20)):
            if math.isfinite(value):
                spelling = ryu_float(value)
                assert compact_json(value) == spelling and float(spelling) == value


def test_exponent_fix_leaves_strings_alone() -> None:
    """``e+`` inside a string (escaped quotes included) is text, not a float's exponent."""
    text = compact_json({"a": 'x e+ "e+1" \\e+', "b": 1e16, "c": ["e+", 1e-7]})
    assert text == '{"a":"x e+ \\"e+1\\" \\\\e+","b":1e16,"c":["e+",1e-7]}'
    assert serde_json_text('"no exponent"') == '"no exponent"'


def test_compact_json_matches_serde_json_to_string_without_floats() -> None:
    """Besides floats, the compact writer is ``serde_json::to_string``: no spaces, UTF-8 kept,
    control characters escaped as ``\\n`` or ``\\u001f``."""
    value = {"ü": ["\n\t\x1f\x7f\u2028", 1, True, None, {"k": "v"}], "a": -(2**63)}
    assert compact_json(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_anonymous_stable_key_hashes_the_serde_spelling() -> None:
    """``anon-`` keys hash ``[tool, args, output]`` as serde_json writes it (``0.00001``)."""
    record = ToolCallRecord(
        tool="t", args={"x": 1e-5, "y": 1e16},
        output=ToolCallOutput(outcome=OutcomeSuccess(payload=None)), duration_ms=1,
    )
    output = record.output.model_dump_json()
    raw = f'["t",{{"x":0.00001,"y":1e16}},{output}]'
    assert stable_tool_call_key(record) == "anon-" + hashlib.sha256(raw.encode()).hexdigest()[:12]

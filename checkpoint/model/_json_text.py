"""JSON text as serde_json writes it: compact, and floats in ryu's spelling (spec §0).

serde_json formats an ``f64`` with ryu: the shortest digits that read back to the same float,
positional when ``1e-5 <= |x| < 1e16`` (integral values keep ``.0``: ``1.0``, ``0.00001``,
``1000000000000000.0``), scientific otherwise, with no ``+`` and no zero padding in the exponent
(``1e-6``, ``1.5e16``, ``1e300``). pydantic-core's writer (jiter) uses the same layout but writes
``e+16``; Python's ``json`` writes ``1e-05`` and ``1e+16``. So JSON text leaves the model through
pydantic-core and has its positive exponents fixed here: JSON text holds ``e+`` outside its
strings only as a float's exponent, and most documents hold no ``e+`` at all (one C search).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, Final

from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError, to_json

_EXPONENT_OR_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"|e\+')


def _keep_strings(match: re.Match[str]) -> str:
    token = match.group()
    return "e" if token == "e+" else token


def serde_json_text(text: str) -> str:
    """pydantic-core's JSON text with floats spelled as serde_json spells them."""
    if "e+" not in text:
        return text
    return _EXPONENT_OR_STRING.sub(_keep_strings, text)


def compact_json(value: Any) -> str:
    """``serde_json::to_string`` of a JSON value: no spaces, non-ASCII kept, ryu floats."""
    return serde_json_text(to_json(value).decode())


def ryu_float(value: float) -> str:
    """ryu's spelling of a finite float, from Python's shortest round-trip digits.

    The reference the writers above are tested against (ryu's ``pretty::format64``)."""
    digits, _, exponent_text = repr(abs(value)).partition("e")
    whole, _, fraction = digits.partition(".")
    exponent = int(exponent_text or 0) - len(fraction)
    digits = (whole + fraction).lstrip("0")
    mantissa = digits.rstrip("0")
    exponent += len(digits) - len(mantissa)  # the trailing zeros went into the exponent
    minus = "-" if math.copysign(1.0, value) < 0 else ""
    if not mantissa:
        return minus + "0.0"
    length = len(mantissa)
    point = length + exponent  # 10^(point-1) <= |value| < 10^point
    if exponent >= 0 and point <= 16:
        return f"{minus}{mantissa}{'0' * exponent}.0"
    if 0 < point <= 16:
        return f"{minus}{mantissa[:point]}.{mantissa[point:]}"
    if -5 < point <= 0:
        return f"{minus}0.{'0' * -point}{mantissa}"
    fraction = f".{mantissa[1:]}" if length > 1 else ""
    return f"{minus}{mantissa[0]}{fraction}e{point - 1}"


# --- duplicate keys -------------------------------------------------------------------------


class _Probe:
    """A value no field accepts: where validation trips on it, a schema looked at that key."""


def has_duplicate_keys(text: str | bytes | bytearray) -> bool:
    """Whether any object in the JSON text repeats a key. One C parse: each object's pairs are
    collected as the C scanner made them and compared with their dict (no Python per object)."""
    objects: list[list[tuple[str, Any]]] = []
    try:
        json.loads(text, object_pairs_hook=objects.append)
    except (ValueError, RecursionError):  # not JSON, or too deep: pydantic says why
        return False
    return any(map(int.__ne__, map(len, objects), map(len, map(dict, objects))))


def _objects_with_duplicates(text: str | bytes | bytearray) -> tuple[Any, list[_Repeat]]:
    """The parsed document (last value wins, as serde_json's maps keep it) and, for each object
    that repeats a key, where it is and which keys it repeats."""
    repeats: list[_Repeat] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            seen: set[str] = set()
            twice = [k for k, _ in items if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
            repeats.append(_Repeat(obj, list(dict.fromkeys(twice))))
        return obj

    return json.loads(text, object_pairs_hook=pairs), repeats


class _Repeat:
    def __init__(self, obj: dict[str, Any], keys: list[str]) -> None:
        self.obj, self.keys = obj, keys


def _path_to(root: Any, target: dict[str, Any]) -> tuple[str | int, ...] | None:
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if type(node) is dict:
            stack.extend((v, (*path, k)) for k, v in node.items())
        elif type(node) is list:
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
    return None


def _trips(validate: Callable[[Any], Any], doc: Any) -> list[Any]:
    try:
        validate(doc)
    except ValidationError as exc:
        return exc.errors()
    return []


def duplicate_field_errors(
    text: str | bytes | bytearray, validate: Callable[[Any], Any]
) -> list[InitErrorDetails]:
    """``duplicate field `x``` for each key repeated in an object that ``validate`` reads as a
    struct with a field ``x``, as serde's derived structs refuse it. A key repeated in a map
    (``serde_json::Value``, a ``HashMap``/``BTreeMap``) or an unknown key of a struct is not
    refused: serde_json keeps the last value there, and serde ignores unknown fields.

    ``validate`` (the model's Python validator) is the oracle: an object is a struct when an
    extra key holding a probe value passes (or is refused as extra), a map when the probe is
    validated; a struct's key is a field when the probe put under it is refused."""
    doc, repeats = _objects_with_duplicates(text)
    base = {(e["type"], e["loc"]) for e in _trips(validate, doc)}

    def trips(doc: Any) -> list[Any]:
        return [e for e in _trips(validate, doc) if (e["type"], e["loc"]) not in base]

    errors: list[InitErrorDetails] = []
    for repeat in repeats:
        obj = repeat.obj
        probe = _Probe()
        obj["\x00probe"] = probe
        tripped = trips(doc)
        del obj["\x00probe"]
        if any(e["input"] is probe and e["type"] != "extra_forbidden" for e in tripped) or any(
            e["type"] == "json_value" for e in tripped
        ):
            continue  # a map or a free-form JSON value: the last value wins
        for key in repeat.keys:
            kept = obj[key]
            obj[key] = probe
            tripped = trips(doc)
            obj[key] = kept
            if any(e["input"] is probe for e in tripped):
                path = _path_to(doc, obj) or ()
                errors.append(InitErrorDetails(
                    type=PydanticCustomError(
                        "duplicate_field", "duplicate field `{field}`", {"field": key}
                    ),
                    loc=(*path, key), input=kept,
                ))
    return errors

"""What serde and our own readers can carry back: no lone surrogates, no nesting past a limit.

A value the model accepts must survive dump -> load -> dump. Two things Python can hold but JSON
text cannot carry back are refused at the model's door, with a ``ValidationError`` naming the
path (never a ``RecursionError`` or ``UnicodeEncodeError`` later, at a commit or a cold load):

- a lone surrogate (``"\\ud800"``) in any string, map keys included: UTF-8 cannot encode it, so
  every JSON or MessagePack writer fails on it (and a JSON reader refuses its escape);
- a free-form JSON value (tool args and results, payloads, bodies, plugin state) nested deeper
  than :data:`MAX_JSON_DEPTH`.

Why 64: a stored document nests a free-form value under at most about a dozen levels of typed
structure (state -> graph -> node -> event -> record -> outcome -> payload), so a document stays
near 80 levels: well under serde_json's 128 (lash must read what we write) and pydantic-core's
JSON parser limit of 200 (our store must read it back). Depth counts containers as written:
``1`` is 0 deep, ``{}`` and ``[]`` 1, ``{"a": []}`` 2; an escaped tool-value object is 2.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic_core import (
    InitErrorDetails,
    PydanticCustomError,
    ValidationError,
    to_json,
)

MAX_JSON_DEPTH: Final = 64
"""Most containers nested in one free-form JSON value (see the module docstring for why 64)."""


MAX_DOCUMENT_DEPTH: Final = 128
"""serde_json's recursion limit: lash cannot read a document nested deeper, so neither do we
(and Python input that deep is refused before pydantic-core recurses into it)."""

_SURROGATE: Final = PydanticCustomError(
    "lone_surrogate", "string holds a lone surrogate, which UTF-8 JSON cannot carry"
)
_TOO_DEEP: Final = PydanticCustomError(
    "json_too_deep", "document nested deeper than serde_json's limit of 128 levels"
)


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a code point UTF-8 cannot encode (ASCII text is checked in C)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def surrogate_error(path: str) -> PydanticCustomError:
    return PydanticCustomError(
        "lone_surrogate",
        "string at {path} holds a lone surrogate, which UTF-8 JSON cannot carry",
        {"path": path or "$"},
    )


def depth_error(path: str) -> PydanticCustomError:
    return PydanticCustomError(
        "json_too_deep",
        "JSON value nested deeper than {limit} levels at {path}",
        {"path": path or "$", "limit": MAX_JSON_DEPTH},
    )


def _unwritable(value: Any) -> tuple[tuple[str | int, ...], PydanticCustomError] | None:
    """Where plain Python data first breaks a rule (a lone surrogate, keys too, or nesting past
    :data:`MAX_DOCUMENT_DEPTH`) and which, or None. Iterative, so any nesting is safe to ask
    about; model instances and other objects are not entered."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, loc = stack.pop()
        kind = type(item)
        if kind is str:
            if has_lone_surrogate(item):
                return loc, _SURROGATE
        elif kind is dict or kind is list or kind is tuple:
            if len(loc) >= MAX_DOCUMENT_DEPTH:
                return loc, _TOO_DEEP
            if kind is not dict:
                stack.extend((x, (*loc, i)) for i, x in enumerate(item))
                continue
            for key, x in item.items():
                if type(key) is str and has_lone_surrogate(key):
                    return (*loc, key), _SURROGATE
                stack.append((x, (*loc, key)))
    return None


_CONTAINERS: Final = (dict, list, tuple)


def _writable(value: Any) -> bool:
    """The fast check: one walk that tracks no paths and handles strings in place."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth >= MAX_DOCUMENT_DEPTH:
            return False
        depth += 1
        for key, x in item.items() if type(item) is dict else enumerate(item):
            if type(key) is str and not key.isascii() and has_lone_surrogate(key):
                return False
            kind = type(x)
            if kind is str:
                if not x.isascii() and has_lone_surrogate(x):
                    return False
            elif kind in _CONTAINERS:
                stack.append((x, depth))
    return True


_DEEP_LINE: Final = b"\n" + b" " * MAX_DOCUMENT_DEPTH


def _plainly_writable(value: Any) -> bool:
    """True when pydantic-core writes ``value`` as JSON (so no string or key holds a lone
    surrogate) and nothing sits :data:`MAX_DOCUMENT_DEPTH` deep: indented by one space a
    level, a container that deep starts a line with that many spaces (raw newlines occur in
    JSON text only between items). One pass in Rust, about half the Python walk's time; False
    means "walk to find out" (a scalar that deep, an object it cannot write)."""
    try:
        text = to_json(value, indent=1)
    except Exception:  # any refusal only sends the input to the exact walk
        return False
    return _DEEP_LINE not in text


def refuse_unwritable(model: type[Any], value: Any) -> None:
    """Raise a ValidationError naming where Python input for ``model`` breaks a rule.

    pydantic-core writing the input answers for nearly all input (``_plainly_writable``); a
    walk without paths answers the rest, and only input that breaks a rule is walked again,
    to name where."""
    if type(value) is str:
        value = [value]
    if type(value) not in _CONTAINERS or _plainly_writable(value) or _writable(value):
        return
    found = _unwritable(value)
    if found is None:
        return
    loc, error = found
    raise ValidationError.from_exception_data(
        model.__name__, [InitErrorDetails(type=error, loc=loc, input="<not shown>")]
    )


def int_as_float(value: int, path: str) -> float:
    """An integer outside i64/u64 as serde_json without arbitrary_precision holds it: an f64;
    one past the f64 range is refused, as serde_json refuses it ("number out of range")."""
    try:
        return float(value)
    except OverflowError:
        raise PydanticCustomError(
            "json_number_range", "number at {path} is out of range for JSON", {"path": path or "$"}
        ) from None


def json_value_problem(value: Any, limit: int = MAX_JSON_DEPTH) -> str | None:
    """Why ``value`` (plain Python JSON) cannot be stored, or None: the first too-deep container
    or lone surrogate, with its path. Iterative, so any nesting is safe to ask about."""
    stack: list[tuple[Any, str, int]] = [(value, "$", 0)]
    while stack:
        item, path, depth = stack.pop()
        kind = type(item)
        if kind is str:
            if has_lone_surrogate(item):
                return f"string at {path} holds a lone surrogate, which UTF-8 JSON cannot carry"
        elif kind is dict or kind is list:
            if depth >= limit:
                return f"JSON value nested deeper than {limit} levels at {path}"
            if kind is list:
                stack.extend((x, f"{path}[{i}]", depth + 1) for i, x in enumerate(item))
                continue
            for key, x in item.items():
                if type(key) is str and has_lone_surrogate(key):
                    return f"key at {path} holds a lone surrogate, which UTF-8 JSON cannot carry"
                stack.append((x, f"{path}.{key}", depth + 1))
    return None

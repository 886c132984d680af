"""Fuzzed documents end in a ValidationError or a value that round-trips, never anything else.

10,000 seeded mutations of the valid fixtures (deep nesting, lone surrogates, wrong types, huge
numbers, missing and unknown keys, duplicate keys in the text, swapped subtrees) go through
both ``model_validate`` and ``model_validate_json``: no RecursionError, no UnicodeEncodeError,
no crash when the accepted value is written (spec: the model's door, ``_json_limits``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from checkpoint.model import PersistedSessionState

FIXTURES = Path(__file__).parent / "fixtures"
DOCUMENTS = 10_000
DEEP = "__deep_placeholder__"
DUP = "__dup_placeholder__"
Doc = Any
Mutation = Callable[[random.Random, Doc], Doc]


def _fixtures() -> list[Doc]:
    state = json.loads((FIXTURES / "section11_state.json").read_text())
    child = json.loads((FIXTURES / "section11_child_start_point.json").read_text())
    snapshot = next(iter(child.values())) if isinstance(child, dict) and len(child) == 1 else child
    docs = [state]
    if isinstance(snapshot, dict) and "session_id" in snapshot:
        docs.append(snapshot)
    return docs


def _slots(doc: Doc) -> list[tuple[Any, Any]]:
    """Every (container, key) pair in the tree, so one can be replaced."""
    out: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, value in list(pairs):
            out.append((item, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return out


def _nested(rng: random.Random, depth: int) -> Any:
    value: Any = rng.choice([1, "x", None, [], {}])
    for _ in range(depth):
        value = {rng.choice("abc"): value} if rng.random() < 0.5 else [value]
    return value


_ODD_VALUES: list[Any] = [
    -1, 0, 2**63, 2**64, 2**64 - 1, -(2**63) - 1, 10**400, -(10**400), 1.5, float("inf"),
    float("nan"), True, None, "", "text", "\ud800", "a\udfffb", [], {}, [1, "x"],
    {"$lash_tool_value": "object", "entries": {"k": 1}}, {"$lash_tool_value": "attachment"},
    {"Intact": None}, {"kind": "nope"}, "Intact", "User", "Assistant",
]


def _replace_with_odd(rng: random.Random, doc: Doc) -> Doc:
    container, key = rng.choice(_slots(doc))
    container[key] = rng.choice(_ODD_VALUES)
    return doc


def _deep_subtree(rng: random.Random, doc: Doc) -> Doc:
    container, key = rng.choice(_slots(doc))
    container[key] = _nested(rng, rng.choice([30, 63, 64, 65, 100, 129, 199, 300, 2000]))
    return doc


def _surrogate_string(rng: random.Random, doc: Doc) -> Doc:
    strings = [(c, k) for c, k in _slots(doc) if isinstance(c[k], str)]
    container, key = rng.choice(strings)
    text = container[key]
    at = rng.randint(0, len(text))
    container[key] = text[:at] + chr(rng.randint(0xD800, 0xDFFF)) + text[at:]
    return doc


def _surrogate_key(rng: random.Random, doc: Doc) -> Doc:
    dicts = [c for c, _ in _slots(doc) if isinstance(c, dict) and c]
    container = rng.choice(dicts)
    key = rng.choice(list(container))
    container[key + "\udc80"] = container.pop(key)
    return doc


def _drop_key(rng: random.Random, doc: Doc) -> Doc:
    container, key = rng.choice([(c, k) for c, k in _slots(doc) if isinstance(c, dict)])
    del container[key]
    return doc


def _unknown_key(rng: random.Random, doc: Doc) -> Doc:
    dicts = [c for c, _ in _slots(doc) if isinstance(c, dict)] or [doc]
    rng.choice(dicts)[rng.choice(["extra", "kind", "type", "Conversation"])] = rng.choice(
        _ODD_VALUES
    )
    return doc


def _swap(rng: random.Random, doc: Doc) -> Doc:
    (c1, k1), (c2, k2) = rng.choice(_slots(doc)), rng.choice(_slots(doc))
    if _plain(c2[k2]):  # a copy: sharing a subtree could make a cycle
        c1[k1] = json.loads(json.dumps(c2[k2]))
    return doc


MUTATIONS: list[Mutation] = [
    _replace_with_odd, _deep_subtree, _surrogate_string, _surrogate_key, _drop_key,
    _unknown_key, _swap,
]


def _text(rng: random.Random, doc: Doc) -> str:
    """The document as JSON text, sometimes with a deep array or a duplicate key spliced in
    (json.dumps itself cannot write either)."""
    choice = rng.random()
    if choice < 0.1:
        container, key = rng.choice(_slots(doc))
        container[key] = DEEP
        depth = rng.choice([64, 65, 150, 199, 200, 400])
        return json.dumps(doc).replace(json.dumps(DEEP), "[" * depth + "1" + "]" * depth, 1)
    if choice < 0.2:
        dicts = [c for c, _ in _slots(doc) if isinstance(c, dict) and c]
        container = rng.choice(dicts)
        key = rng.choice(list(container))
        container[DUP] = rng.choice(_ODD_VALUES[:20])
        return json.dumps(doc).replace(json.dumps(DUP), json.dumps(key), 1)
    text = json.dumps(doc)
    if choice < 0.25:  # a byte-level flip: mostly invalid JSON, sometimes a changed value
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice('"{}[]:,0a\\') + text[at + 1 :]
    return text


def _round_trips(state: PersistedSessionState) -> None:
    """What was accepted can be written, read back and written identically."""
    text = state.model_dump_json()
    state.model_dump(mode="json")
    again = PersistedSessionState.model_validate_json(text)
    assert again.model_dump_json() == text


def _check(read: Callable[[Any], PersistedSessionState], value: Any) -> str:
    try:
        state = read(value)
    except ValidationError:
        return "refused"
    _round_trips(state)
    return "accepted"


def test_fuzzed_documents_are_refused_or_round_trip() -> None:
    """Every fuzzed document, Python or JSON text, is a ValidationError or round-trips."""
    rng = random.Random(20260519)
    bases = _fixtures()
    seen: dict[str, int] = {"refused": 0, "accepted": 0}
    for index in range(DOCUMENTS):
        doc = json.loads(json.dumps(rng.choice(bases)))
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            doc = rng.choice(MUTATIONS)(rng, doc)
        try:
            seen[_check(PersistedSessionState.model_validate, doc)] += 1
            text = _text(rng, doc) if _plain(doc) else _dumps(doc)
            seen[_check(PersistedSessionState.model_validate_json, text)] += 1
        except AssertionError:
            raise
        except BaseException as exc:  # what this test exists to catch, with the document
            raise AssertionError(f"document {index}: {type(exc).__name__}: {exc}") from exc
    assert seen["refused"] > DOCUMENTS // 2 and seen["accepted"] > DOCUMENTS // 20, seen


def _plain(doc: Doc) -> bool:
    """Whether json.dumps can write ``doc`` (it gives up on a subtree a thousand deep)."""
    try:
        json.dumps(doc)
    except RecursionError:
        return False
    return True


def _dumps(doc: Doc) -> str:
    """JSON text of a document of any depth (iterative; json.dumps for scalars only)."""
    out: list[str] = []
    stack: list[Any] = [doc]
    while stack:
        item = stack.pop()
        if type(item) is _Raw:
            out.append(item)
        elif isinstance(item, dict):
            stack.append(_Raw("}"))
            for i, (key, value) in reversed(list(enumerate(item.items()))):
                stack.extend([value, _Raw(("," if i else "") + json.dumps(key) + ":")])
            stack.append(_Raw("{"))
        elif isinstance(item, list):
            stack.append(_Raw("]"))
            for i, value in reversed(list(enumerate(item))):
                stack.extend([value, _Raw("," if i else "")])
            stack.append(_Raw("["))
        else:
            out.append(json.dumps(item))
    return "".join(out)


class _Raw(str):
    """Text ``_dumps`` writes as it is."""

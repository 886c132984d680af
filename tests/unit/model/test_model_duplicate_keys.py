"""A JSON object that repeats a key: serde's derived structs refuse a repeated field
(``duplicate field `x```); serde_json's maps keep the last value; unknown keys are ignored."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from checkpoint.model import (
    Message,
    PersistedSessionState,
    PromptLayer,
    SessionMeta,
    SessionNodeRecord,
    ToolEvent,
)

RECORD = '"record":{"tool":"t","args":ARGS,"output":{"outcome":{"status":"success","payload":1}},' \
    '"duration_ms":1}'
TOOL = '{"Invocation":{"stable_key":"k",' + RECORD + "}}"
PLUGIN_NODE = '{"node_id":"a","timestamp":"t","kind":"plugin","plugin_type":"x","body":BODY}'
META = '{"session_id":"s","session_name":"n","created_at":"c","model":"m"EXTRA}'


@pytest.mark.parametrize(
    ("model", "text", "loc"),
    [
        (SessionNodeRecord, PLUGIN_NODE.replace('"node_id":"a"', '"node_id":"a","node_id":"b"')
         .replace("BODY", "1"), ("node_id",)),
        (SessionNodeRecord, '{"node_id":"a","timestamp":"t","kind":"event","event":{"Conversation":'
         '{"id":"m","role":"User","role":"User","parts":[]}}}', ("event", "Conversation", "role")),
        (SessionMeta, META.replace("EXTRA", ',"model":"x"'), ("model",)),
        (ToolEvent, TOOL.replace('"stable_key":"k"', '"stable_key":"k","stable_key":"j"')
         .replace("ARGS", "{}"), ("Invocation", "stable_key")),
        (Message, '{"id":"m","role":"User","parts":[{"id":"p","kind":"Text","content":"a",'
         '"content":"b","prune_state":"Intact"}]}', ("parts", 0, "content")),
        (PersistedSessionState, '{"session_id":"s","session_id":"s"}', ("session_id",)),
    ],
)
def test_a_struct_field_given_twice_is_refused(model: type, text: str, loc: tuple) -> None:
    """serde's derived Deserialize fails on a repeated field; so does model_validate_json."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(text)  # type: ignore[attr-defined]
    ((error,),) = [caught.value.errors()]
    assert error["type"] == "duplicate_field" and error["loc"] == loc
    assert error["msg"] == f"duplicate field `{loc[-1]}`"


@pytest.mark.parametrize(
    ("model", "text", "check"),
    [
        (SessionNodeRecord, PLUGIN_NODE.replace("BODY", '{"z":1,"y":0,"z":2}'),
         lambda n: n.plugin() == ("x", {"y": 0, "z": 2})),
        (ToolEvent, TOOL.replace("ARGS", '{"a":1,"a":2}'), lambda e: e.record.args == {"a": 2}),
        (PromptLayer, '{"slots":{"intro":{"reset":true},"intro":{"reset":false}}}',
         lambda p: p.slots["intro"].reset is False),
        (SessionMeta, META.replace("EXTRA", ',"unknown":1,"unknown":2'),
         lambda m: m.model == "m"),
    ],
)
def test_a_key_repeated_in_a_map_or_unknown_to_a_struct_keeps_the_last(
    model: type, text: str, check: object
) -> None:
    """serde_json's Value and map types keep the last value; serde ignores unknown fields."""
    assert check(model.model_validate_json(text))  # type: ignore[attr-defined, operator]


def test_text_that_is_not_json_is_reported_by_pydantic() -> None:
    """The scan stays out of the way of a parse error: pydantic names it."""
    with pytest.raises(ValidationError, match="json_invalid"):
        SessionMeta.model_validate_json('{"session_id":')

"""Serde rules of single types read on their own: ToolEvent's tag, PromptTemplate's fields."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from checkpoint.model import (
    SESSION_EVENT_RECORD,
    PromptLayer,
    SessionNodeRecord,
    SessionPolicy,
    ToolEvent,
)

POLICY = {"model": "m", "provider": {"type": "openai"}, "execution_mode": "standard"}


@pytest.mark.parametrize("template", [{}, {"title": "t"}, {"entries": []}])
def test_prompt_template_without_sections_is_refused(template: dict[str, object]) -> None:
    """serde's ``PromptTemplate`` requires ``sections``: its absence names the field."""
    doc = {**POLICY, "prompt": {"template": template}}
    with pytest.raises(ValidationError) as caught:
        SessionPolicy.model_validate(doc)
    ((error,),) = [caught.value.errors()]
    assert error["type"] == "missing" and error["loc"] == ("prompt", "template", "sections")
    with pytest.raises(ValidationError, match=r"template\.sections\n  Field required"):
        PromptLayer.model_validate_json('{"template": {"title": "t"}}')


@pytest.mark.parametrize(
    ("template", "loc"),
    [([], ("template",)), ({"sections": {}}, ("template", "sections")),
     ({"sections": [1]}, ("template", "sections", 0))],
)
def test_prompt_template_of_the_wrong_shape_is_refused(template: object, loc: tuple) -> None:
    """A template is an object whose ``sections`` is an array of section objects."""
    with pytest.raises(ValidationError) as caught:
        PromptLayer.model_validate({"template": template})
    assert caught.value.errors()[0]["loc"] == loc


def test_prompt_template_with_sections_is_kept_as_written() -> None:
    """Beyond what serde requires, the template stays opaque: keys and their order kept."""
    text = '{"template":{"z":1,"sections":[{"entries":[{"kind":"text","content":"x"}]}]}}'
    assert PromptLayer.model_validate_json(text).model_dump_json() == text
    assert PromptLayer.model_validate_json('{"template":null}').template is None


INVOCATION = {"stable_key": "c1", "record": {
    "call_id": "c1", "tool": "t", "args": {"x": 1},
    "output": {"outcome": {"status": "success", "payload": 2}}, "duration_ms": 5,
}}
TOOL_EVENT = {"Invocation": INVOCATION}


def test_tool_event_round_trips_its_serde_form_on_its_own() -> None:
    """``ToolEvent`` alone is ``{"Invocation": {stable_key, record}}``, dict and text alike."""
    event = ToolEvent.model_validate(TOOL_EVENT)
    assert (event.stable_key, event.record.call_id) == ("c1", "c1")
    assert event.model_dump(mode="json") == TOOL_EVENT
    text = json.dumps(TOOL_EVENT, separators=(",", ":"))
    assert event.model_dump_json() == text
    assert ToolEvent.model_validate_json(text) == event
    assert ToolEvent(stable_key="c1", record=event.record) == event  # the constructor form


def test_tool_event_inside_a_node_keeps_both_tags() -> None:
    """In a node the event is ``{"Tool": {"Invocation": …}}``; both readers give one value."""
    node = {"node_id": "tool:c1", "timestamp": "t", "kind": "event", "event": {"Tool": TOOL_EVENT}}
    text = json.dumps(node, separators=(",", ":"))
    from_text = SessionNodeRecord.model_validate_json(text)
    assert from_text == SessionNodeRecord.model_validate(node)
    assert from_text.model_dump_json() == text and from_text.model_dump(mode="json") == node
    assert from_text.tool_event() == ToolEvent.model_validate(TOOL_EVENT)
    assert SESSION_EVENT_RECORD.dump_python(from_text.event(), mode="json") == {"Tool": TOOL_EVENT}


@pytest.mark.parametrize(
    "doc", [INVOCATION, {"Call": INVOCATION}, {**TOOL_EVENT, "extra": 1}, {"Invocation": 1}]
)
def test_tool_event_text_without_its_tag_is_refused(doc: object) -> None:
    """serde reads only the ``Invocation`` variant: a bare body or another key is refused."""
    with pytest.raises(ValidationError):
        ToolEvent.model_validate_json(json.dumps(doc))

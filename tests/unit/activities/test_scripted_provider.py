"""The scripted provider: deterministic replies, cycling, call log and script validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from activities.agent.providers import ChatMessage, ModelRequest, ProviderError, ScriptedProvider
from activities.agent.providers.scripted import EXHAUSTED_TEXT


def _request(turn_index: int, step: int, *, turn_id: str = "t-1", depth: int = 0) -> ModelRequest:
    return ModelRequest(
        session_id="s",
        turn_id=turn_id,
        turn_index=turn_index,
        step=step,
        model="scripted-demo",
        messages=[ChatMessage(role="user", content="hello")],
        subagent_depth=depth,
    )


async def test_same_request_gives_the_same_reply() -> None:
    """A retried call answers byte-identically (ids, text and usage)."""
    provider = ScriptedProvider()
    assert await provider.complete(_request(1, 0)) == await provider.complete(_request(1, 0))


async def test_tool_call_ids_differ_between_turns() -> None:
    """Call ids derive from the turn id, so they stay unique across a session."""
    provider = ScriptedProvider()
    a = await provider.complete(_request(1, 0, turn_id="a"))
    b = await provider.complete(_request(1, 0, turn_id="b"))
    assert a.tool_calls[0].id != b.tool_calls[0].id


async def test_script_cycles_when_the_session_outlasts_it(tmp_path: Path) -> None:
    """Turn n plays script turn (n - 1) mod len(script)."""
    script = tmp_path / "s.json"
    script.write_text(json.dumps([[{"text": "one"}], [{"text": "two"}]]))
    provider = ScriptedProvider(script)
    texts = [(await provider.complete(_request(n, 0))).text for n in (1, 2, 3, 4)]
    assert texts == ["one", "two", "one", "two"]


async def test_steps_past_the_script_end_the_turn(tmp_path: Path) -> None:
    """A step beyond the turn's script answers plain text without tool calls."""
    script = tmp_path / "s.json"
    script.write_text(json.dumps([[{"text": "one"}]]))
    reply = await ScriptedProvider(script).complete(_request(1, 5))
    assert reply.text == EXHAUSTED_TEXT and reply.tool_calls == []


async def test_children_play_the_child_script() -> None:
    """A sub-agent (depth > 0) plays ``child_turns`` of the demo, which never spawns again."""
    reply = await ScriptedProvider().complete(_request(1, 1, depth=1))
    assert reply.text.startswith("Sub-agent report")


async def test_call_log_gets_one_line_per_completed_call(tmp_path: Path) -> None:
    """Each completed call appends one JSON line naming turn id, step and call key."""
    log = tmp_path / "calls.jsonl"
    provider = ScriptedProvider(call_log=log)
    await provider.complete(_request(1, 0))
    await provider.complete(_request(1, 1))
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(x["turn_id"], x["step"], x["call_key"]) for x in lines] == [
        ("t-1", 0, "s:t-1:0"),
        ("t-1", 1, "s:t-1:1"),
    ]


def test_bad_script_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    """A script step with unknown keys names the allowed keys."""
    script = tmp_path / "s.json"
    script.write_text(json.dumps([[{"txt": "typo"}]]))
    with pytest.raises(ProviderError, match="keys are text, tool_calls, usage"):
        ScriptedProvider(script)


def test_missing_script_file_is_refused(tmp_path: Path) -> None:
    """A script path that does not exist is a non-retryable ProviderError naming it."""
    with pytest.raises(ProviderError, match="cannot read script") as info:
        ScriptedProvider(tmp_path / "nope.json")
    assert not info.value.retryable

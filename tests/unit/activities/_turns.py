"""Helpers for the run_turn tests: a store, activities with a call log, and a turn driver."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from activities.agent.tools import ToolCatalog
from activities.contract import HeadRef, TurnOutcome, TurnPolicy, TurnRequest
from activities.turn import TurnActivities
from checkpoint.model import TokenUsage
from checkpoint.store import SessionStore

KEY = b"unit-test-key"
START = datetime(2026, 5, 19, 9, 0, tzinfo=UTC)


def activities(
    store: SessionStore,
    *,
    script: Path | str | None = None,
    call_log: Path | None = None,
    tools: ToolCatalog | None = None,
) -> TurnActivities:
    provider = ScriptedProvider(script, call_log=call_log)
    return TurnActivities(
        store, providers=ProviderRegistry.of(provider), tools=tools, execution_state_key=KEY
    )


def write_script(path: Path, turns: list[list[dict[str, Any]]]) -> Path:
    path.write_text(json.dumps(turns))
    return path


def request(
    session_id: str,
    turn_index: int,
    text: str,
    *,
    turn_id: str | None = None,
    base: TurnOutcome | None = None,
    **extra: Any,
) -> TurnRequest:
    head = None
    if base is not None:
        r = base.receipt
        head = HeadRef(
            head_revision=r.head_revision,
            checkpoint_ref=r.checkpoint_ref,
            leaf_node_id=r.leaf_node_id,
        )
    return TurnRequest(
        session_id=session_id,
        turn_index=turn_index,
        turn_id=turn_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{session_id}/{turn_index}")),
        started_at=START,
        user_text=text,
        policy=extra.pop("policy", TurnPolicy()),
        base=head,
        **extra,
    )


async def run(acts: TurnActivities, req: TurnRequest, *, attempt: int = 1) -> TurnOutcome:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    result: TurnOutcome = await env.run(acts.run_turn, req)
    return result


def turn_usage(outcome: TurnOutcome) -> TokenUsage:
    """A finished turn's own usage: its outcome's ``"turn"`` delta."""
    [usage] = [d.usage for d in outcome.usage_deltas if d.source == "turn"]
    return usage


async def run_session(
    acts: TurnActivities, session_id: str, turns: int, *, first: int = 1
) -> list[TurnOutcome]:
    outcomes: list[TurnOutcome] = []
    for index in range(first, first + turns):
        base = outcomes[-1] if outcomes else None
        outcomes.append(await run(acts, request(session_id, index, f"message {index}", base=base)))
    return outcomes


def call_log_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]

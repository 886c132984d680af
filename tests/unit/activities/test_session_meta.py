"""SessionMeta: a root's first turn records it, a spawning turn records each child's, and a
retry or a later turn never rewrites either (spec §9, §13)."""

from __future__ import annotations

import json
from pathlib import Path

from activities.contract import ChildRequest, TurnOutcome
from activities.turn import TurnActivities
from checkpoint.model import ChildRelation, RootRelation
from checkpoint.store import CheckpointStore
from tests.unit.activities._turns import activities, request, run

NESTED = {
    "turns": [[
        {"text": "Delegating.", "tool_calls": [{"name": "spawn_agent", "args": {"task": "Dig"}}]},
        {"text": "Done."},
    ]],
    "child_turns": [[
        {"text": "Deeper.", "tool_calls": [{"name": "spawn_agent", "args": {"task": "Dig  more"}}]},
        {"text": "Child done."},
    ]],
}
"""Root spawns a child, the child a grandchild (whose own spawn is refused at the max depth)."""


def _nested(tmp_path: Path, store: CheckpointStore) -> TurnActivities:
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(NESTED))
    return activities(store, script=path)


async def _first_turn(acts: TurnActivities, child: ChildRequest) -> TurnOutcome:
    return await run(acts, request(
        child.child_session_id, 1, child.task, start_snapshot_ref=child.snapshot_ref,
        policy=child.policy,
    ))


async def test_a_roots_first_turn_records_its_meta_once(store: CheckpointStore) -> None:
    """Turn 1 writes relation root, the title as name and the model; turn 2 changes nothing."""
    acts = activities(store)
    first = await run(acts, request("r", 1, "hello", title="Totals"))
    meta = await store.load_session_meta("r")
    assert meta is not None and meta.relation == RootRelation()
    assert (meta.session_name, meta.model) == ("Totals", "scripted-demo")
    assert meta.parent_session_id is None
    assert meta.created_at.startswith("unix:")
    await run(acts, request("r", 2, "again", base=first, title="Renamed"))
    assert await store.load_session_meta("r") == meta


async def test_an_untitled_root_is_named_by_its_id(store: CheckpointStore) -> None:
    """Without a title the session id is the name."""
    await run(activities(store), request("untitled", 1, "hello"))
    meta = await store.load_session_meta("untitled")
    assert meta is not None and meta.session_name == "untitled"


async def test_spawned_children_and_grandchildren_record_their_parent(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """A spawning turn records each child with its parent and tool call; so does a child's."""
    acts = _nested(tmp_path, store)
    paused = await run(acts, request("p", 1, "go", title="Root"))
    [child] = paused.child_requests
    meta = await store.load_session_meta(child.child_session_id)
    assert meta is not None
    assert meta.relation == ChildRelation(
        parent_session_id="p", originating_tool_call_id=child.tool_call_id
    )
    assert (meta.session_name, meta.parent_session_id) == ("Dig", "p")
    assert await store.list_child_sessions("p") == [meta]

    child_paused = await _first_turn(acts, child)
    assert await store.load_session_meta(child.child_session_id) == meta  # not made a root
    [grand] = child_paused.child_requests
    grand_meta = await store.load_session_meta(grand.child_session_id)
    assert grand_meta is not None and grand_meta.session_name == "Dig more"
    assert grand_meta.relation == ChildRelation(
        parent_session_id=child.child_session_id, originating_tool_call_id=grand.tool_call_id
    )
    assert await store.list_child_sessions(child.child_session_id) == [grand_meta]
    done = await _first_turn(acts, grand)
    assert done.status == "completed" and not done.child_requests
    assert await store.list_child_sessions(grand.child_session_id) == []


async def test_a_retried_spawning_turn_keeps_the_first_meta(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """A retry of the awaiting turn asks for the same child and leaves its meta as it was."""
    acts = _nested(tmp_path, store)
    req = request("p", 1, "go")
    first = await run(acts, req)
    [child] = first.child_requests
    meta = await store.load_session_meta(child.child_session_id)
    retried = await run(_nested(tmp_path, store), req, attempt=2)
    assert retried.child_requests == first.child_requests
    assert await store.load_session_meta(child.child_session_id) == meta
    assert [m.session_id for m in await store.list_child_sessions("p")] == [child.child_session_id]


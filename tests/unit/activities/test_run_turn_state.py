"""run_turn and runtime state: signed execution state, plugin snapshots, secrets."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.agent.providers import OpenAIProvider, ProviderRegistry
from activities.contract import TurnPolicy
from activities.turn import TurnActivities
from checkpoint.model import RuntimeCommit, SessionCheckpoint
from checkpoint.store import CheckpointStore, load_persisted_session_state, open_store
from tests.unit.activities._openai_fake import FakeEndpoint, text_chunks, usage_chunk
from tests.unit.activities._turns import KEY, activities, request, run, run_session
from tests.unit.activities.test_execution_state import UNPICKLED, _Tripwire


async def test_tampered_execution_state_is_refused_and_never_unpickled(
    store: CheckpointStore,
) -> None:
    """Unsigned globals written into the store fail the next turn with ExecutionStateError."""
    outcomes = await run_session(activities(store), "s", 2)
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    state.set_execution_state_snapshot(pickle.dumps({"total": _Tripwire()}))
    await store.commit_runtime_state(RuntimeCommit.persisted_state(state, [], operation_id="evil"))
    head = await store.load_head_revision("s")
    with pytest.raises(ApplicationError) as info:
        await run(activities(store), request("s", 3, "next", base=outcomes[-1]))
    assert info.value.non_retryable and info.value.type == "ExecutionStateError"
    assert "not signed" in str(info.value)
    assert UNPICKLED == []
    assert await store.load_head_revision("s") == head


async def test_state_signed_with_another_workers_key_is_refused(store: CheckpointStore) -> None:
    """A worker with a different LASH_EXECUTION_STATE_KEY refuses the globals."""
    outcomes = await run_session(activities(store), "s", 2)
    other = TurnActivities(
        store, providers=activities(store).providers, execution_state_key=b"another-key"
    )
    with pytest.raises(ApplicationError, match="signature does not match"):
        await run(other, request("s", 3, "next", base=outcomes[-1]))


async def _manifest(store: CheckpointStore, ref: str | None) -> SessionCheckpoint:
    """The checkpoint manifest a turn's receipt names (the outcome keeps only its ref)."""
    assert ref is not None
    return SessionCheckpoint.model_validate(await store.get_blob(ref))


async def test_plugin_blob_is_rewritten_only_when_the_notes_plugin_changed(
    store: CheckpointStore,
) -> None:
    """Demo turn 3 calls `remember`: the plugin snapshot ref changes there and nowhere else."""
    outcomes = await run_session(activities(store), "s", 5)
    manifests = [await _manifest(store, o.receipt.checkpoint_ref) for o in outcomes]
    refs = [m.plugin_snapshot_ref for m in manifests]
    assert refs[0] == refs[1] != refs[2] == refs[3] == refs[4]
    revisions = [m.plugin_snapshot_revision for m in manifests]
    assert revisions[0] == revisions[1] != revisions[2]
    state = await load_persisted_session_state(store, "s")
    assert state is not None and state.plugin_snapshot is not None
    notes = state.plugin_snapshot.plugins["lash.notes"].meta
    assert notes.revision == 1 and notes.state == {"notes": ["the user likes totals"]}


async def test_tool_state_blob_is_written_once_for_an_unchanged_registry(
    store: CheckpointStore,
) -> None:
    """Every turn, also after a worker restart, reuses the first ToolState ref."""
    outcomes = await run_session(activities(store), "s", 2)
    outcomes += await run_session(activities(store), "s", 1, first=3)
    refs = {(await _manifest(store, o.receipt.checkpoint_ref)).tool_state_ref for o in outcomes}
    assert len(refs) == 1 and None not in refs


CANARY = "sk-canary-7f3a9c1e-never-print-me"


async def test_openai_key_never_reaches_the_store_or_the_error(tmp_path: Path) -> None:
    """A canary key: one answered turn, then 401s echoing the key; absent from errors and store."""
    pytest.importorskip("openai")
    endpoint = FakeEndpoint()
    endpoint.chunks = [*text_chunks("hel", "lo"), usage_chunk(3, 1)]
    db = tmp_path / "store.db"
    store = await open_store(f"sqlite:///{db}")
    try:
        acts = TurnActivities(
            store,
            providers=ProviderRegistry.of(OpenAIProvider(api_key=CANARY, base_url=endpoint.url)),
            execution_state_key=KEY,
        )
        policy = TurnPolicy(provider="openai", model="gpt-test")
        first = await run(acts, request("s", 1, "hi", policy=policy))
        assert first.answer_excerpt == "hello"
        endpoint.status = 401
        endpoint.body = {"error": {"message": f"invalid key {CANARY}"}}
        with pytest.raises(ApplicationError) as info:
            await run(acts, request("s", 2, "again", policy=policy, base=first))
        assert info.value.non_retryable and "HTTP 401" in str(info.value)
        assert CANARY not in str(info.value) and CANARY not in repr(info.value.__cause__)
    finally:
        await store.close()
        endpoint.close()
    assert endpoint.seen[0]["auth"] == f"Bearer {CANARY}"
    assert db.stat().st_size > 0
    for path in tmp_path.iterdir():
        assert CANARY.encode() not in path.read_bytes(), path

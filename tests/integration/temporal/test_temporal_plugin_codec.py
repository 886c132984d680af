"""A payload codec the user configured on the client survives adding the lash plugin."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from temporal_harness import TEST_KEY
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.testing import WorkflowEnvironment

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from activities.contract import TurnOutcome
from checkpoint.store import CheckpointStore
from workflows.contract import TurnReply
from workflows.host import client as lash
from workflows.host.worker import build_worker
from workflows.plugin import LashPlugin

MARK = "lash-test-mark"


class MarkingCodec(PayloadCodec):
    """Tags every payload it encodes and refuses to decode one without the tag."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        marked = []
        for p in payloads:
            copy = Payload()
            copy.CopyFrom(p)
            copy.metadata[MARK] = b"1"
            marked.append(copy)
        return marked

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        plain = []
        for p in payloads:
            assert p.metadata.get(MARK) == b"1", "a payload reached decode without the codec's mark"
            copy = Payload()
            copy.CopyFrom(p)
            del copy.metadata[MARK]
            plain.append(copy)
        return plain


async def test_a_client_codec_marks_history_and_round_trips_through_the_plugin(
    temporal_env: WorkflowEnvironment, store: CheckpointStore, task_queue: str
) -> None:
    """Payloads in fetched history carry the codec's mark, stay plain JSON underneath, and a
    turn's outcome comes back whole."""
    client = await Client.connect(
        temporal_env.client.service_client.config.target_host,
        data_converter=DataConverter(payload_codec=MarkingCodec()),
        plugins=[LashPlugin()],
    )
    assert isinstance(client.data_converter.payload_codec, MarkingCodec)
    worker = build_worker(client, store, task_queue=task_queue, execution_state_key=TEST_KEY,
                          providers=ProviderRegistry.of(ScriptedProvider(None)))
    sid = f"codec-{uuid.uuid4().hex[:8]}"
    async with worker:
        outcome = await lash.send(client, sid, "hello there", task_queue=task_queue)
        history = await lash.handle(client, sid).fetch_history()
    assert isinstance(outcome, TurnReply) and outcome.turn_index == 1
    results = [
        e.activity_task_completed_event_attributes.result.payloads[0]
        for e in history.events
        if e.HasField("activity_task_completed_event_attributes")
    ]
    assert results, "no activity completed"
    for payload in results:
        assert payload.metadata[MARK] == b"1"
        assert payload.metadata["encoding"] == b"json/plain"
    turn = [json.loads(p.data) for p in results if b'"receipt"' in p.data][-1]
    assert turn["turn_index"] == 1
    [decoded] = await client.data_converter.decode([results[-1]], [TurnOutcome])
    # The update's reply leaves the answer out; ``send`` adds it (the ``answer`` query).
    assert TurnReply.of(decoded) == outcome.model_copy(
        update={"answer_excerpt": "", "answer_truncated": False}
    )
    assert decoded.answer_excerpt == outcome.answer_excerpt != ""


async def test_a_large_message_travels_by_reference_after_the_users_codec(
    temporal_env: WorkflowEnvironment, store: CheckpointStore, task_queue: str
) -> None:
    """With a codec and a store, a 38 KB message is a reference in history; the blob holds
    the codec's output (marked), and the turn reads the message back whole."""
    client = await Client.connect(
        temporal_env.client.service_client.config.target_host,
        data_converter=DataConverter(payload_codec=MarkingCodec()),
        plugins=[LashPlugin(store=store)],
    )
    worker = build_worker(client, store, task_queue=task_queue, execution_state_key=TEST_KEY,
                          providers=ProviderRegistry.of(ScriptedProvider(None)))
    sid = f"codec-large-{uuid.uuid4().hex[:8]}"
    text = "a long pasted file " * 2_000  # 38 KB: past the old cap, inside the window
    async with worker:
        outcome = await lash.send(client, sid, text, task_queue=task_queue)
        history = await lash.handle(client, sid).fetch_history()
    assert outcome.turn_index == 1
    [accepted] = [e.workflow_execution_update_accepted_event_attributes for e in history.events
                  if e.HasField("workflow_execution_update_accepted_event_attributes")]
    [reference] = accepted.accepted_request.input.args.payloads
    assert reference.metadata["encoding"] == b"json/protobuf" and reference.ByteSize() < 500
    stored = Payload()
    stored.ParseFromString(await store.get_payload(json.loads(reference.data)["claimData"]["ref"]))
    assert stored.metadata[MARK] == b"1" and text.encode() in stored.data
    messages = (await store.load_session(sid)).graph.messages()  # type: ignore[union-attr]
    assert messages[0].parts[0].content == text  # type: ignore[union-attr]

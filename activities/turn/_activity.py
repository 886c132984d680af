"""The ``run_turn`` activity: load the session, run the agent loop, commit, return refs.

Everything a retry needs is in the store, keyed by the turn id the workflow minted:

- the effect journal holds every completed model call and tool batch (replayed, never re-run);
  the last model reply and the outcome ride the final commit's own transaction;
- progress commits (``ids.progress_op``) hold the conversation after each tool
  round, so a new attempt resumes at the first step the head does not hold yet;
- the final commit (``ids.final_op``) is exactly-once, so usage lands once; a retry
  that finds its receipt returns the journaled outcome without touching anything.

A plain turn on a warm worker makes one store round trip, the final commit (one write
transaction), when its first attempt finds the session cached at the head the workflow sent;
otherwise it first reads ``load_turn`` (head revision, final receipt and journal in one read).

Errors that no retry can fix (bad request, unknown provider, bad script, tampered execution
state, a missing snapshot blob) leave as non-retryable ``ApplicationError``s with the reason in
their message; store conflicts and unreachable stores or providers stay retryable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.agent._runtime import SessionRuntime
from activities.agent.loop import AgentLoop, LoopHooks, LoopResult, TurnContext, turn_messages
from activities.agent.providers import ModelProvider, ProviderRegistry
from activities.agent.tools import ToolCatalog, default_tools, key_from_env
from activities.contract import (
    RUN_TURN_ACTIVITY,
    ChildRequest,
    TurnOutcome,
    TurnPolicy,
    TurnRequest,
    answer_fields,
)
from activities.failures import final_failures
from activities.session_head import last_answer_near
from activities.turn import ids
from activities.turn._cache import OpenSession, SessionCache
from activities.turn._heartbeat import Heartbeat
from activities.turn._journal import TurnJournal, TurnSummary
from activities.turn._metas import child_meta, root_meta
from activities.turn._retry_notice import announce_retry
from activities.turn._usage import child_deltas, merge_into, uncounted_usage
from checkpoint.errors import ContractError, OperationConflictError
from checkpoint.model import (
    Append,
    CommitReceipt,
    PersistedSessionState,
    RuntimeCommit,
    SessionMeta,
    SessionPolicy,
    TokenLedgerEntry,
    TokenUsage,
    Unchanged,
    merge_usage_delta_entries,
    normalize_prompt_usage,
    resume_safety_problem,
)
from checkpoint.store import SessionStore, TurnStart, load_persisted_session_state

_log = logging.getLogger(__name__)
T = TypeVar("T")
def session_policy(policy: TurnPolicy, session_id: str, base: SessionPolicy) -> SessionPolicy:
    """The host's policy wins over the stored one (spec §14 A); the provider is its kind only."""
    return base.model_copy(
        update={
            "model": policy.model,
            "provider": {"type": policy.provider},
            "max_context_tokens": policy.max_context_tokens,
            "session_id": session_id,
        },
        deep=True,
    )


def loop_context(request: TurnRequest) -> TurnContext:
    """The few facts of a turn the agent loop works from."""
    policy = request.policy
    return TurnContext(
        session_id=request.session_id,
        turn_id=request.turn_id,
        turn_index=request.turn_index,
        started_at=request.started_at,
        user_text=request.user_text,
        model=policy.model,
        max_steps=policy.max_steps,
        subagent_depth=policy.subagent_depth,
        max_context_tokens=policy.max_context_tokens,
        session_token_budget=policy.session_token_budget,
        turn_token_budget=policy.turn_token_budget,
        stop=request.stop,
        child_results=tuple(request.child_results),
        approval_tools=frozenset(policy.approval_tools),
        approvals={d.tool_call_id: d for d in request.approvals},
    )


def _progress_deltas(
    turn: _OpenTurn, request: TurnRequest, result: LoopResult
) -> list[TokenLedgerEntry]:
    """The usage of the model calls no commit has counted yet, for a progress commit."""
    return uncounted_usage(turn.journal, request.policy.model, result.usage_by_step, final=False)


def _child_budget(
    policy: TurnPolicy, turn: _OpenTurn, deltas: list[TokenLedgerEntry]
) -> int | None:
    """A sub-agent's session budget: what its parent has left when it starts (at least one
    token, so its policy is valid: it then makes one call). The parent's spend is its
    committed ledger, the ``deltas`` about to be committed and the children it has received.
    Siblings started in one round each get the whole remainder."""
    if policy.session_token_budget is None:
        return None
    spent = sum(e.usage.total() for e in [*turn.entry.state.token_ledger, *deltas])
    spent += sum(e.usage.total() for c in turn.journal.children().values() for e in c.usage)
    return max(1, policy.session_token_budget - spent)


def _beat_on_change(heartbeat: Heartbeat, step: int) -> None:
    """Send a heartbeat only when the step it reports changes: a beat costs about a millisecond
    (it goes through the data converter to the SDK core), a plain turn's only beat would say
    "step 0", which the details already say, and the heartbeat's background task keeps the
    activity alive in between."""
    if heartbeat.details != {"step": step}:
        heartbeat.beat(step)


def _stop_for_good() -> bool:
    """A cancellation asked by the workflow (an interrupt, or the session cancelled), not a
    worker going away."""
    return activity.in_activity() and not activity.is_worker_shutdown()


def _uncancel() -> None:
    """Clear the task's pending cancellation, so the writes that finish the turn can run."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


async def _land(turn: _OpenTurn, write: Awaitable[T]) -> T:
    """Finish a commit even if the activity is cancelled meanwhile. A commit cut off halfway
    could still land (a SQLite commit runs in a thread) while this attempt believes it did not:
    the in-memory session would then disagree with the store. The cancellation is kept on the
    turn instead, and the turn stops once the commit is applied."""
    task = asyncio.ensure_future(write)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not _stop_for_good():
            raise
        _uncancel()
        turn.cancelled = True
        return await task


class _OpenTurn:
    """The session being worked on, how many of its graph nodes the store already has, the
    turn's journal (whose deferred records the next commit carries) and the session metas the
    next commit carries (this session's if the commit creates it, children it starts)."""

    def __init__(self, entry: OpenSession, journal: TurnJournal) -> None:
        self.entry, self.journal = entry, journal
        self.committed_nodes = len(entry.state.session_graph.nodes)
        self.metas: list[SessionMeta] = []
        self.cancelled = False
        """A cancellation arrived while a commit was landing; the turn stops after it."""


class TurnActivities:
    """Activities of one worker: the store, the provider registry, the tool catalog and the
    signing key. ``tools`` defaults to the built-ins (``default_tools()``)."""

    def __init__(
        self,
        store: SessionStore,
        *,
        providers: ProviderRegistry,
        tools: ToolCatalog | None = None,
        execution_state_key: bytes | None = None,
        cache_size: int = 256,
    ) -> None:
        self.store = store
        self.providers = providers
        self.tools = tools if tools is not None else default_tools()
        self._exec_key = execution_state_key or key_from_env()
        self.cache = SessionCache(cache_size)

    @activity.defn(name=RUN_TURN_ACTIVITY)
    async def run_turn(self, request: TurnRequest) -> TurnOutcome:
        """Run (or resume) one turn and commit it; returns refs and small figures only."""
        heartbeat = Heartbeat().start()
        context = f"turn {request.turn_index} of session {request.session_id!r} cannot run"
        try:
            with final_failures(context):
                return await self._run(request, heartbeat)
        except Exception as exc:
            if not (isinstance(exc, ApplicationError) and exc.non_retryable):
                await announce_retry(request.turn_id, exc)
            raise
        finally:
            await heartbeat.stop()

    # --- the turn -------------------------------------------------------------------------------

    async def _run(self, request: TurnRequest, heartbeat: Heartbeat) -> TurnOutcome:
        sid, tid = request.session_id, request.turn_id
        if activity.in_activity() and activity.info().attempt > 1:
            previous = activity.info().heartbeat_details
            _log.info(
                "turn %s attempt %s resumes (last heartbeat %s)",
                tid,
                activity.info().attempt,
                previous[0] if previous else None,
            )
        start = self._trusted_start(request) or await self.store.load_turn(
            sid, tid, ids.final_op(sid, tid)
        )
        journal = TurnJournal(self.store, sid, tid, start.effects)
        if start.receipt is not None:
            return self._stored_outcome(request, start.receipt, journal)
        provider = self.providers.get(request.policy.provider)
        request = await self._children_as_committed(request)
        turn = _OpenTurn(await self._open(request, start.head_revision), journal)
        if start.head_revision is None and request.start_snapshot_ref is None:
            turn.metas.append(root_meta(request))  # a sub-agent's parent wrote its meta
        turn.entry.runtime.last_prompt = None  # a cached runtime holds the previous turn's
        hooks = LoopHooks(
            progress=lambda step, usage: self._progress(turn, request, step, usage),
            heartbeat=lambda step: _beat_on_change(heartbeat, step),
        )
        loop = AgentLoop(
            turn=loop_context(request),
            state=turn.entry.state,
            runtime=turn.entry.runtime,
            provider=provider,
            journal=journal,
            exec_key=self._exec_key,
            hooks=hooks,
        )
        try:
            result = await loop.run()
        except asyncio.CancelledError:
            if not _stop_for_good():
                raise  # the worker is shutting down: the next attempt resumes the turn
            _uncancel()
            _log.info("turn %s of %s interrupted; committing what it completed", tid, sid)
            result = loop.interrupted()
        if result.status == "awaiting_children":
            outcome = await self._await_children(turn, request, result)
        elif result.status == "awaiting_approval":
            outcome = await self._await_approval(turn, request, result)
        else:
            try:
                outcome = await self._finish(turn, request, result, journal, provider)
            except OperationConflictError:
                # Another attempt of this turn (on a worker presumed dead that kept running)
                # landed the final commit first, with another reply. Its outcome is the turn's
                # outcome; this attempt's in-memory session is stale, so it is not cached.
                return await self._first_outcome(request)
        self.cache.put(sid, turn.entry)
        return outcome

    async def _children_as_committed(self, request: TurnRequest) -> TurnRequest:
        """Each child's usage as the store holds it: what the child committed, including when
        it failed, timed out or was cancelled and could not report its ledger. The journal
        keeps the first record per child, so the final commit counts it exactly once. An
        answering child's whole answer comes from the store too (its workflow result carries
        only an excerpt)."""
        if not request.child_results:
            return request
        results = []
        for child in request.child_results:
            head = await self.store.load_head(child.child_session_id)
            update: dict[str, Any] = {"usage": list(head.token_ledger) if head else []}
            if head is not None and child.error is None:
                answer = await last_answer_near(
                    self.store, child.child_session_id, head.leaf_node_id
                )
                if answer:
                    update["answer"] = answer
            results.append(child.model_copy(update=update))
        return request.model_copy(update={"child_results": results})

    def _trusted_start(self, request: TurnRequest) -> TurnStart | None:
        """Skip the store read when nothing can be there to find: the first attempt of a turn
        (not a sub-agent continuation, which reuses the turn id) has no receipt and no journal
        yet, and a cached session at the head the workflow last saw needs no reload.

        If the store moved meanwhile (another worker, a turn that failed after a progress
        commit), the commit's revision check refuses this attempt with the retryable
        ``HeadRevisionConflict``, and the next attempt reads the store as usual. A plain turn
        is then one store round trip, its commit."""
        if not activity.in_activity() or activity.info().attempt != 1:
            return None
        base = request.base
        if request.continues or base is None:
            return None
        if self.cache.revision(request.session_id) != base.head_revision:
            return None
        return TurnStart(head_revision=base.head_revision, receipt=None, effects={})

    async def _first_outcome(self, request: TurnRequest) -> TurnOutcome:
        """The outcome the first final commit of this turn stored."""
        sid, tid = request.session_id, request.turn_id
        start = await self.store.load_turn(sid, tid, ids.final_op(sid, tid))
        if start.receipt is None:
            raise ContractError(f"turn {tid}: the final commit conflicted but none is stored")
        return self._stored_outcome(
            request, start.receipt, TurnJournal(self.store, sid, tid, start.effects)
        )

    def _stored_outcome(
        self, request: TurnRequest, receipt: CommitReceipt, journal: TurnJournal
    ) -> TurnOutcome:
        summary = journal.summary()
        if summary is None:
            raise ContractError(
                f"turn {request.turn_id} committed but its outcome record is missing"
            )
        return self._completed(request, receipt, summary)

    async def _finish(
        self,
        turn: _OpenTurn,
        request: TurnRequest,
        result: LoopResult,
        journal: TurnJournal,
        provider: ModelProvider,
    ) -> TurnOutcome:
        """Turn usage into the state and ledger; the final commit journals the outcome."""
        state = turn.entry.state
        state.token_usage = result.turn_usage.model_copy()
        state.last_prompt_usage = None
        if result.last_usage is not None:
            state.last_prompt_usage = normalize_prompt_usage(
                result.last_usage,
                input_usage_excludes_cached_tokens=provider.input_usage_excludes_cached_tokens,
            )
        children = child_deltas(journal)
        turn_entry = TokenLedgerEntry(
            source="turn", model=request.policy.model, usage=result.turn_usage
        )
        summary = journal.defer_summary(
            TurnSummary(
                answer=result.answer,
                usage_deltas=merge_usage_delta_entries([turn_entry, *children]),
                turn_usage=result.turn_usage,
                model_calls=result.model_calls,
                tool_calls=result.tool_calls,
                prompt=turn.entry.runtime.last_prompt,
                interrupted=result.status == "interrupted",
            )
        )
        deltas = merge_usage_delta_entries(
            [
                *uncounted_usage(journal, request.policy.model, result.usage_by_step, final=True),
                *children,
            ]
        )
        final = ids.final_op(request.session_id, request.turn_id)
        receipt = await self._commit(turn, final, deltas)
        return self._completed(request, receipt, summary)

    @staticmethod
    def _completed(
        request: TurnRequest, receipt: CommitReceipt, summary: TurnSummary
    ) -> TurnOutcome:
        return TurnOutcome(
            status="interrupted" if summary.interrupted else "completed",
            receipt=receipt,
            turn_index=request.turn_index,
            **answer_fields(summary.answer),
            usage_deltas=summary.usage_deltas,
            model_calls=summary.model_calls,
            tool_calls=summary.tool_calls,
            prompt=summary.prompt,
        )

    async def _await_children(
        self, turn: _OpenTurn, request: TurnRequest, result: LoopResult
    ) -> TurnOutcome:
        """Write each child's starting state as a blob, commit progress, hand back requests."""
        sid, tid = request.session_id, request.turn_id
        deltas = _progress_deltas(turn, request, result)
        policy = request.policy.model_copy(
            update={
                "subagent_depth": request.policy.subagent_depth + 1,
                "session_token_budget": _child_budget(request.policy, turn, deltas),
            }
        )
        parent_policy = turn.entry.state.policy
        requests = []
        for pending in result.pending:
            child_id = ids.child_session_id(sid, tid, pending.call.id)
            child = PersistedSessionState(
                session_id=child_id, policy=session_policy(policy, child_id, parent_policy)
            )
            ref = await self.store.put_blob(child, session_id=sid)
            requests.append(
                ChildRequest(
                    child_session_id=child_id,
                    tool_call_id=pending.call.id,
                    snapshot_ref=ref,
                    task=pending.task,
                    policy=policy,
                )
            )
        turn.metas += [child_meta(sid, r) for r in requests]
        op = ids.await_op(sid, tid, result.step)
        return await self._hand_back(turn, request, result, op, deltas, child_requests=requests)

    async def _await_approval(
        self, turn: _OpenTurn, request: TurnRequest, result: LoopResult
    ) -> TurnOutcome:
        """Commit progress and hand back the calls that wait for a person's decision; the
        workflow waits for them (as long as it takes) with no activity running."""
        op = ids.approval_op(request.session_id, request.turn_id, result.step)
        deltas = _progress_deltas(turn, request, result)
        return await self._hand_back(turn, request, result, op, deltas,
                                     approval_requests=result.approvals)

    async def _hand_back(
        self, turn: _OpenTurn, request: TurnRequest, result: LoopResult, op: str,
        deltas: list[TokenLedgerEntry], **handed: Any,
    ) -> TurnOutcome:
        """Commit progress (once per ``op``, whichever attempt lands it) and hand the work in
        ``handed`` (child or approval requests) back to the workflow."""
        receipt = await self.store.load_receipt(turn.journal.session_id, op)
        if receipt is None:
            receipt = await self._commit(turn, op, deltas)
        else:
            # Another attempt landed this commit, the same usage and records included.
            merge_into(turn.entry.state, deltas)
            turn.journal.committed()
            turn.entry.state.apply_persisted_commit_result(receipt)
        return TurnOutcome(
            status=result.status,
            receipt=receipt,
            turn_index=request.turn_index,
            model_calls=result.model_calls,
            tool_calls=result.tool_calls,
            prompt=turn.entry.runtime.last_prompt,
            **handed,
        )

    # --- store ----------------------------------------------------------------------------------

    async def _open(self, request: TurnRequest, head: int | None) -> OpenSession:
        """Cached session if the store's ``head`` agrees, else the store, a child snapshot, or
        a new one."""
        sid = request.session_id
        enabled = self.tools.allowed(request.policy)
        entry = self.cache.take(sid, head)
        if entry is not None:
            entry.state.policy = session_policy(request.policy, sid, entry.state.policy)
            entry.runtime.registry.select(enabled)
            return entry
        if head is None and request.base is not None:
            raise ContractError(
                f"the store has no session {sid!r}, but the workflow saw head revision "
                f"{request.base.head_revision}; is the worker pointed at the right store?"
            )
        state: PersistedSessionState | None
        if head is not None:
            state = await load_persisted_session_state(self.store, sid)
        elif request.start_snapshot_ref is not None:
            raw = await self.store.get_blob(request.start_snapshot_ref)
            state = PersistedSessionState.model_validate(raw)
        else:
            state = None
        if state is None:
            state = PersistedSessionState(session_id=sid)
        if state.session_id != sid:
            raise ContractError(f"snapshot holds session {state.session_id!r}, expected {sid!r}")
        state.policy = session_policy(request.policy, sid, state.policy)
        runtime = SessionRuntime.build(
            exec_key=self._exec_key,
            tools=self.tools,
            enabled=enabled,
            tool_state=state.tool_state_snapshot,
            plugin_snapshot=state.plugin_snapshot,
            execution_state=state.execution_state_snapshot,
        )
        if state.checkpoint_ref is not None:
            state.discard_runtime_snapshots()  # spec §14 B.9: the refs stay
        return OpenSession(state=state, runtime=runtime)

    async def _progress(
        self, turn: _OpenTurn, request: TurnRequest, step: int, usage: Mapping[int, TokenUsage]
    ) -> None:
        """A progress commit after a tool round, only when the messages are resume-safe. It
        carries the usage of the model calls so far that no commit has counted, so a turn that
        later fails for good has still counted every call its progress commits hold."""
        messages = turn_messages(turn.entry.state, request.session_id, request.turn_id)
        problem = resume_safety_problem(messages)
        if problem is not None:
            _log.warning("no progress commit at step %s: %s", step, problem)
            return
        deltas = uncounted_usage(turn.journal, request.policy.model, usage, final=False)
        op = ids.progress_op(request.session_id, request.turn_id, step)
        await self._commit(turn, op, deltas)
        if turn.cancelled:
            raise asyncio.CancelledError  # the commit landed; now the turn stops

    async def _commit(
        self, turn: _OpenTurn, operation_id: str, deltas: list[TokenLedgerEntry]
    ) -> CommitReceipt:
        """Stamp runtime state, then commit the nodes appended since the last commit and the
        usage ``deltas`` (into the in-memory ledger too), with the journal's deferred records in
        the same transaction."""
        state, runtime = turn.entry.state, turn.entry.runtime
        merge_into(state, deltas)
        state.refresh_plugin_snapshots(runtime)
        if runtime.interpreter.dirty:
            blob, _dropped = runtime.interpreter.export_signed(self._exec_key)
            state.set_execution_state_snapshot(blob)
        commit = RuntimeCommit.persisted_state(state, deltas, operation_id=operation_id)
        if isinstance(commit.graph, Unchanged):
            new_nodes = state.session_graph.nodes[turn.committed_nodes :]
            if new_nodes:
                graph = Append(nodes=new_nodes, leaf_node_id=state.session_graph.leaf_node_id)
                commit = commit.model_copy(update={"graph": graph})
        receipt = await _land(
            turn, self.store.commit_runtime_state(
                commit, effects=turn.journal.pending(), metas=turn.metas
            )
        )
        turn.journal.committed()
        turn.metas = []
        state.apply_persisted_commit_result(receipt)
        turn.committed_nodes = len(state.session_graph.nodes)
        runtime.interpreter.dirty = False
        return receipt

"""The turn's effect journal: completed model calls and tool batches, keyed by turn id and step.

A retried attempt replays these records instead of calling the model or running tools again. The
store keeps the first write of a key, so two racing attempts agree on one outcome. A tool batch
also carries the side state its tools changed (signed interpreter globals, plugin snapshot), so a
replay restores exactly what the original run produced.

Records are written in one of two ways. ``record_*`` journals at once (its own transaction): a
model reply that asks for tools, before the tools run; a tool batch; a child's result.
``defer_*`` holds a record until the next commit carries it in its own transaction
(``pending``): the turn's last model reply and its outcome, after which nothing runs but the
final commit, so journaling them separately would add two transactions and no safety (a crash
before the commit loses the reply either way, and the retry asks again); and which model calls'
usage a commit put in the ledger (``ids.usage_key``), so a later commit, on this attempt or the
next, never counts them again.
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from activities.agent.providers import ModelReply
from activities.contract import ChildResult, PromptWindow
from activities.turn import ids
from checkpoint.model import PluginSessionSnapshot, TokenLedgerEntry, TokenUsage, ToolCallRecord
from checkpoint.store import SessionStore, TurnEffects


class ToolResultEntry(BaseModel):
    """One executed call: its graph record and the model-visible text."""

    model_config = ConfigDict(extra="forbid")

    record: ToolCallRecord
    text: str


class ToolBatch(BaseModel):
    """A completed tool batch and the side state it left behind."""

    model_config = ConfigDict(extra="forbid")

    results: list[ToolResultEntry]
    execution_state_b64: str | None = None
    """Signed interpreter globals after the batch, base64 (None: the batch did not touch them)."""
    plugin_snapshot: PluginSessionSnapshot | None = None
    """Plugins after the batch (None: no plugin revision changed)."""

    @property
    def execution_state(self) -> bytes | None:
        b64 = self.execution_state_b64
        return base64.b64decode(b64) if b64 is not None else None


class TurnSummary(BaseModel):
    """Everything a TurnOutcome needs besides the receipt; journaled before the final commit."""

    model_config = ConfigDict(extra="forbid")

    answer: str
    usage_deltas: list[TokenLedgerEntry] = Field(default_factory=list)
    turn_usage: TokenUsage
    model_calls: int
    tool_calls: int
    interrupted: bool = False
    """The turn was stopped (an interrupt or a cancellation) before it finished."""
    prompt: PromptWindow | None = None
    """The last model call's prompt window (absent in records written before it existed)."""


class CallStarted(BaseModel):
    """An attempt began running an approved call; ``attempt`` tells attempts apart."""

    model_config = ConfigDict(extra="forbid")

    attempt: str


class CountedUsage(BaseModel):
    """A model call's usage that a commit has put in the ledger (journaled by that commit)."""

    model_config = ConfigDict(extra="forbid")

    usage: TokenUsage


class TurnJournal:
    """The effects of one (session, turn id) as read once per attempt (``load_turn``), plus the
    deferred ones not yet committed."""

    def __init__(
        self,
        store: SessionStore,
        session_id: str,
        turn_id: str,
        effects: dict[str, Any] | None = None,
    ) -> None:
        self._store, self.session_id, self.turn_id = store, session_id, turn_id
        self._effects: dict[str, Any] = dict(effects or {})
        self._pending: dict[str, Any] = {}

    def _defer(self, key: str, value: BaseModel) -> Any:
        """Hold a record for the next commit; a key already journaled keeps its first value."""
        if key not in self._effects:
            self._effects[key] = self._pending[key] = value.model_dump(mode="json")
        return self._effects[key]

    def pending(self) -> TurnEffects | None:
        """The deferred records, for the next commit to carry (None: there are none)."""
        return TurnEffects(self.turn_id, dict(self._pending)) if self._pending else None

    def committed(self) -> None:
        """The commit that carried ``pending()`` landed (or its operation had landed before)."""
        self._pending.clear()

    async def _record(self, key: str, value: BaseModel) -> Any:
        stored = await self._store.record_effect(
            self.session_id, self.turn_id, key, value.model_dump(mode="json")
        )
        self._effects[key] = stored
        return stored

    def _get(self, key: str, kind: type[Any]) -> Any:
        raw = self._effects.get(key)
        return None if raw is None else kind.model_validate(raw)

    def model_reply(self, step: int) -> ModelReply | None:
        return self._get(ids.model_key(step), ModelReply)  # type: ignore[no-any-return]

    async def record_model_reply(self, step: int, reply: ModelReply) -> ModelReply:
        return ModelReply.model_validate(await self._record(ids.model_key(step), reply))

    def defer_model_reply(self, step: int, reply: ModelReply) -> ModelReply:
        """The turn's last reply (no tool calls): journaled by the commit that follows it."""
        return ModelReply.model_validate(self._defer(ids.model_key(step), reply))

    def tool_batch(self, step: int) -> ToolBatch | None:
        return self._get(ids.tools_key(step), ToolBatch)  # type: ignore[no-any-return]

    async def record_tool_batch(self, step: int, batch: ToolBatch) -> ToolBatch:
        return ToolBatch.model_validate(await self._record(ids.tools_key(step), batch))

    def call_result(self, step: int, call_id: str) -> ToolResultEntry | None:
        """An approved call that completed on some attempt (its batch may not be journaled)."""
        return self._get(ids.call_key(step, call_id), ToolResultEntry)  # type: ignore[no-any-return]

    async def record_call_result(
        self, step: int, call_id: str, entry: ToolResultEntry
    ) -> ToolResultEntry:
        return ToolResultEntry.model_validate(
            await self._record(ids.call_key(step, call_id), entry)
        )

    async def claim_call(self, step: int, call_id: str, attempt: str) -> bool:
        """Mark an approved call as started by ``attempt``; False if an attempt had started it
        before (it may have run, or may be running: it is not run again)."""
        key = ids.call_started_key(step, call_id)
        if key in self._effects:
            return False
        stored = await self._record(key, CallStarted(attempt=attempt))
        return CallStarted.model_validate(stored).attempt == attempt

    def summary(self) -> TurnSummary | None:
        return self._get(ids.OUTCOME_KEY, TurnSummary)  # type: ignore[no-any-return]

    def defer_summary(self, summary: TurnSummary) -> TurnSummary:
        """The outcome, journaled by the final commit (one recorded earlier wins)."""
        return TurnSummary.model_validate(self._defer(ids.OUTCOME_KEY, summary))

    def usage_counted(self, step: int) -> bool:
        """Whether a commit has already put step ``step``'s model usage in the ledger."""
        return ids.usage_key(step) in self._effects

    def defer_usage_counted(self, step: int, usage: TokenUsage) -> None:
        """Note that the next commit puts step ``step``'s model usage in the ledger."""
        self._defer(ids.usage_key(step), CountedUsage(usage=usage))

    def children(self) -> dict[str, ChildResult]:
        """Every child result this turn has received, by tool call id (all rounds)."""
        return {
            key.removeprefix(ids.CHILD_PREFIX): ChildResult.model_validate(value)
            for key, value in self._effects.items()
            if key.startswith(ids.CHILD_PREFIX)
        }

    async def record_child(self, result: ChildResult) -> ChildResult:
        """Keep a child's answer, so its usage is counted once even across several rounds."""
        return ChildResult.model_validate(
            await self._record(ids.child_key(result.tool_call_id), result)
        )

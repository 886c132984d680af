"""PersistedSessionState and SessionStateEnvelope (spec §1): fields, serde rules and methods."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from pydantic import Field, PrivateAttr

from ._graph import SessionGraph
from ._message import Message
from ._mode import ModeTurnOptions
from ._plugin_snapshot import PluginSessionSnapshot
from ._policy import SessionPolicy
from ._serde import U64, BlobRef, ByteVec, SerdeModel, Usize, skip_empty, skip_none
from ._store_records import PersistedTurnState, RuntimeCommitResult
from ._tool_call import ToolCallRecord
from ._tool_state import ToolState
from ._usage import PromptUsage, SessionUsageReport, TokenLedgerEntry, TokenUsage

if TYPE_CHECKING:
    from ._read_view import SessionReadView


class PluginSessionLike(Protocol):
    """What ``refresh_plugin_snapshots`` needs from the live plugin session."""

    def tool_registry_generation(self) -> int: ...

    def export_tool_state(self) -> ToolState: ...

    def snapshot_revision_fingerprint(self) -> int: ...

    def snapshot(self) -> PluginSessionSnapshot:
        """May raise; a failed snapshot becomes None (as in lash)."""
        ...


class SessionStateEnvelope(SerdeModel):
    """The read model exported to hosts and plugins: the first seven state fields."""

    session_id: str
    policy: SessionPolicy = Field(default_factory=SessionPolicy.default)
    session_graph: SessionGraph = Field(default_factory=SessionGraph)
    turn_index: Usize = 0
    token_usage: TokenUsage = Field(default_factory=TokenUsage.zero)
    last_prompt_usage: PromptUsage | None = skip_none()
    mode_turn_options: ModeTurnOptions = Field(default_factory=ModeTurnOptions.default)

    def read_view(self) -> SessionReadView:
        from ._read_view import SessionReadView

        return SessionReadView.from_exported_state(self)


class PersistedSessionState(SerdeModel):
    """The persistence snapshot used by stores, resume and child sessions (the seed's 19 fields).

    ``head_revision`` and ``graph_replace_required`` are ``serde(skip)``: attributes here, never
    written or read, so a state that went through JSON comes back without them (spec §16.1).
    """

    session_id: str
    policy: SessionPolicy = Field(default_factory=SessionPolicy.default)
    """Defaulted only when the key is missing; ``null`` is refused (spec §0.1.5)."""
    session_graph: SessionGraph = Field(default_factory=SessionGraph)
    turn_index: Usize = 0
    token_usage: TokenUsage = Field(default_factory=TokenUsage.zero)
    """Cumulative usage of the most recent turn (context accounting), not session lifetime."""
    last_prompt_usage: PromptUsage | None = skip_none()
    mode_turn_options: ModeTurnOptions = Field(default_factory=ModeTurnOptions.default)
    tool_state_ref: BlobRef | None = skip_none()
    tool_state_generation: U64 | None = skip_none()
    tool_state_snapshot: ToolState | None = skip_none()
    plugin_snapshot_ref: BlobRef | None = skip_none()
    plugin_snapshot_revision: U64 | None = skip_none()
    """The plugin revision fingerprint (spec §8.3), not a counter."""
    plugin_snapshot: PluginSessionSnapshot | None = skip_none()
    execution_state_ref: BlobRef | None = skip_none()
    execution_state_snapshot: ByteVec | None = skip_none()
    token_ledger: list[TokenLedgerEntry] = skip_empty(list)
    """The cost ledger, one row per (source, model); omitted when empty."""
    checkpoint_ref: BlobRef | None = skip_none()
    _head_revision: int | None = PrivateAttr(default=None)
    _graph_replace_required: bool = PrivateAttr(default=False)

    @property
    def head_revision(self) -> int | None:
        """Store head revision observed by the runtime; None while creating the first head."""
        return self._head_revision

    @head_revision.setter
    def head_revision(self, value: int | None) -> None:
        self._head_revision = value

    @property
    def graph_replace_required(self) -> bool:
        """The next commit must write the full graph (a destructive rewrite happened)."""
        return self._graph_replace_required

    @graph_replace_required.setter
    def graph_replace_required(self, value: bool) -> None:
        self._graph_replace_required = value

    # --- envelope ------------------------------------------------------------------------------

    @classmethod
    def from_state(cls, state: SessionStateEnvelope) -> PersistedSessionState:
        """A state with the envelope's seven fields and nothing else (no refs, no ledger)."""
        return cls.model_construct(**{k: getattr(state, k) for k in _ENVELOPE_FIELDS})

    def export_state(self) -> SessionStateEnvelope:
        """The seven envelope fields (copies, so the envelope can be changed freely)."""
        fields = {k: copy.deepcopy(getattr(self, k)) for k in _ENVELOPE_FIELDS}
        return SessionStateEnvelope.model_construct(**fields)

    def apply_exported_state(self, state: SessionStateEnvelope) -> None:
        """Overwrite the seven envelope fields and nothing else."""
        for key in _ENVELOPE_FIELDS:
            setattr(self, key, copy.deepcopy(getattr(state, key)))

    # --- runtime snapshots ---------------------------------------------------------------------

    def stamp_runtime_state(
        self, tool_state: ToolState | None, plugin_snapshot: PluginSessionSnapshot | None
    ) -> None:
        """Attach inline snapshots; touches no ref, no revision, no execution state."""
        self.tool_state_snapshot = tool_state.model_copy(deep=True) if tool_state else None
        self.tool_state_generation = tool_state.generation if tool_state else None
        self.plugin_snapshot = plugin_snapshot.model_copy(deep=True) if plugin_snapshot else None

    def refresh_plugin_snapshots(self, plugins: PluginSessionLike) -> None:
        """Attach a snapshot only if it changed since its ref (the write-only-if-changed rule)."""
        generation = plugins.tool_registry_generation()
        if self.tool_state_ref is None or self.tool_state_generation != generation:
            snapshot = plugins.export_tool_state()
            self.tool_state_generation = snapshot.generation
            self.tool_state_snapshot = snapshot
        revision = plugins.snapshot_revision_fingerprint()
        if self.plugin_snapshot_ref is None or self.plugin_snapshot_revision != revision:
            try:
                self.plugin_snapshot = plugins.snapshot()
            except Exception:  # lash: `plugins.snapshot().ok()`, a failed snapshot becomes None
                self.plugin_snapshot = None
        self.plugin_snapshot_revision = revision

    def apply_persisted_commit_result(self, result: RuntimeCommitResult) -> None:
        """After a successful commit: take the new head and refs, clear the inline snapshots."""
        self.head_revision = result.head_revision
        self.checkpoint_ref = result.checkpoint_ref
        manifest = result.manifest
        self.tool_state_ref = manifest.tool_state_ref
        if self.tool_state_snapshot is not None:
            self.tool_state_generation = self.tool_state_snapshot.generation
        elif self.tool_state_ref is None:
            self.tool_state_generation = None
        self.plugin_snapshot_ref = manifest.plugin_snapshot_ref
        self.plugin_snapshot_revision = manifest.plugin_snapshot_revision
        self.execution_state_ref = manifest.execution_state_ref
        self.graph_replace_required = False
        self.discard_runtime_snapshots()

    def discard_runtime_snapshots(self) -> None:
        """Clear the three inline snapshots; keep the refs."""
        self.tool_state_snapshot = None
        self.plugin_snapshot = None
        self.execution_state_snapshot = None

    def set_execution_state_snapshot(self, snapshot: bytes | None) -> None:
        """``None`` also clears ``execution_state_ref``: that is how execution state is deleted."""
        if snapshot is None:
            self.execution_state_ref = None
        self.execution_state_snapshot = snapshot

    # --- reads ---------------------------------------------------------------------------------

    def turn_state(self) -> PersistedTurnState:
        return PersistedTurnState(
            turn_index=self.turn_index,
            token_usage=self.token_usage.model_copy(),
            last_prompt_usage=self.last_prompt_usage,
            mode_turn_options=self.mode_turn_options.model_copy(deep=True),
        )

    def usage_report(self) -> SessionUsageReport:
        return SessionUsageReport.from_entries(self.token_ledger)

    def read_view(self) -> SessionReadView:
        from ._read_view import SessionReadView

        return SessionReadView.from_persisted_state(self)

    # --- graph delegation ----------------------------------------------------------------------

    def replace_active_read_state(
        self, messages: Sequence[Message], tool_calls: Sequence[ToolCallRecord]
    ) -> None:
        """Re-branch; as in lash this also clears ``graph_replace_required`` (a kept quirk)."""
        self.session_graph.replace_active_read_state(messages, tool_calls)
        self.graph_replace_required = False

    def replace_active_tool_calls(self, tool_calls: Sequence[ToolCallRecord]) -> None:
        self.session_graph.replace_active_tool_calls(tool_calls)
        self.graph_replace_required = False

    def append_active_read_delta(
        self, messages: Sequence[Message], tool_calls: Sequence[ToolCallRecord]
    ) -> None:
        self.session_graph.append_active_read_delta(messages, tool_calls)

    def append_active_conversation_messages(self, messages: Sequence[Message]) -> None:
        self.session_graph.append_active_conversation_messages(messages)


_ENVELOPE_FIELDS = tuple(SessionStateEnvelope.model_fields)

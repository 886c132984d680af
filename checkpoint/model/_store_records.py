"""Store-side records (spec §9): turn state, checkpoint manifest, heads, commits and receipts.

lash serialises only some of these (``SessionCheckpoint``, ``SessionHead``, ``SessionHeadMeta``,
``PersistedTurnState``). The rest are in-process types there; here they are models too, so a
commit, a load result or a receipt can travel as JSON. Their JSON uses serde's default
representation, with optional keys skipped when None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, Tag, model_serializer, model_validator

from ._graph import SessionGraph
from ._mode import ModeTurnOptions
from ._nodes import SessionNodeRecord
from ._plugin_snapshot import PluginSessionSnapshot
from ._policy import PersistedSessionConfig
from ._serde import U64, BlobRef, ByteVec, SerdeModel, Usize, skip_empty, skip_none
from ._tagged import ExternallyTagged, external_discriminator
from ._tool_state import ToolState
from ._usage import PromptUsage, TokenLedgerEntry, TokenUsage

if TYPE_CHECKING:
    from ._state import PersistedSessionState

ROOT_SESSION_ID = "root"


class PersistedTurnState(SerdeModel):
    """Turn-scoped fields: ``turn_index`` is required; the rest default."""

    turn_index: Usize
    token_usage: TokenUsage = Field(default_factory=TokenUsage.zero)
    last_prompt_usage: PromptUsage | None = skip_none()
    mode_turn_options: ModeTurnOptions = Field(default_factory=ModeTurnOptions.default)


def _default_turn_state() -> PersistedTurnState:
    return PersistedTurnState(turn_index=0)


class SessionCheckpoint(SerdeModel):
    """The checkpoint manifest, stored as its own blob; ``checkpoint_ref`` is its ref."""

    turn_state: PersistedTurnState = Field(default_factory=_default_turn_state)
    tool_state_ref: BlobRef | None = skip_none()
    plugin_snapshot_ref: BlobRef | None = skip_none()
    plugin_snapshot_revision: U64 | None = skip_none()
    execution_state_ref: BlobRef | None = skip_none()


class HydratedSessionCheckpoint(SerdeModel):
    """The manifest plus inline payloads: commit input ("write these") and load output."""

    turn_state: PersistedTurnState = Field(default_factory=_default_turn_state)
    tool_state_ref: BlobRef | None = skip_none()
    tool_state: ToolState | None = skip_none()
    plugin_snapshot_ref: BlobRef | None = skip_none()
    plugin_snapshot: PluginSessionSnapshot | None = skip_none()
    plugin_snapshot_revision: U64 | None = skip_none()
    execution_state_ref: BlobRef | None = skip_none()
    execution_state: ByteVec | None = skip_none()
    """``Vec<u8>``: an integer array on the wire, ``bytes`` here."""

    def manifest(self) -> SessionCheckpoint:
        """The manifest part (refs as they are; a store fills refs for inline payloads)."""
        return SessionCheckpoint(
            turn_state=self.turn_state,
            tool_state_ref=self.tool_state_ref,
            plugin_snapshot_ref=self.plugin_snapshot_ref,
            plugin_snapshot_revision=self.plugin_snapshot_revision,
            execution_state_ref=self.execution_state_ref,
        )


class SessionHead(SerdeModel):
    """A full head: graph plus pointers. ``session_id`` defaults to ``"root"``."""

    session_id: str = ROOT_SESSION_ID
    head_revision: U64 = 0
    graph: SessionGraph
    config: PersistedSessionConfig
    checkpoint_ref: BlobRef | None = skip_none()
    token_ledger: list[TokenLedgerEntry] = skip_empty(list)


class SessionHeadMeta(SerdeModel):
    """A head without its nodes (what a store keeps beside the node rows)."""

    session_id: str = ROOT_SESSION_ID
    head_revision: U64 = 0
    config: PersistedSessionConfig
    checkpoint_ref: BlobRef | None = skip_none()
    leaf_node_id: str | None = skip_none()
    graph_node_count: Usize = 0
    token_ledger: list[TokenLedgerEntry] = skip_empty(list)


# --- read scope -----------------------------------------------------------------------------


class FullGraph(SerdeModel):
    """``SessionReadScope::FullGraph``: every stored node. Written as ``"FullGraph"``."""

    serde_variant: ClassVar[str] = "FullGraph"

    @model_validator(mode="before")
    @classmethod
    def _from_unit(cls, data: Any) -> Any:
        return {} if data == "FullGraph" else data

    @model_serializer(mode="plain")
    def _as_unit(self) -> str:
        return "FullGraph"


class ActivePath(ExternallyTagged):
    """``SessionReadScope::ActivePath { leaf_node_id }``: the path to this leaf (or the head's)."""

    serde_variant = "ActivePath"
    leaf_node_id: str | None = None


SessionReadScope: TypeAlias = Annotated[
    Annotated[FullGraph, Tag("FullGraph")] | Annotated[ActivePath, Tag("ActivePath")],
    external_discriminator("SessionReadScope", "FullGraph, ActivePath"),
]


NodeWindow: TypeAlias = tuple[U64, U64]
"""Our extension: ``(first_seq, next_seq)``, the store's node sequence numbers a head's full
graph held (old branches included). Nodes are immutable and keep their numbers until a full
rewrite writes the graph anew, so until then a head's window names its graph: rebuilding a past
turn reads exactly that range."""


class PersistedSessionRead(SerdeModel):
    """What ``load_session`` returns."""

    session_id: str
    head_revision: U64
    config: PersistedSessionConfig
    graph: SessionGraph
    checkpoint_ref: BlobRef | None = skip_none()
    checkpoint: HydratedSessionCheckpoint | None = skip_none()
    token_ledger: list[TokenLedgerEntry] = []
    node_window: NodeWindow | None = skip_none()


class PersistedSessionHead(SerdeModel):
    """What ``load_head`` returns: where a session stands, without its graph.

    The head row's fields, the hydrated head checkpoint and the merged ledger; its cost does not
    grow with the session's length, so callers that need no nodes should use it."""

    session_id: str
    head_revision: U64
    config: PersistedSessionConfig
    checkpoint_ref: BlobRef | None = skip_none()
    checkpoint: HydratedSessionCheckpoint | None = skip_none()
    leaf_node_id: str | None = skip_none()
    graph_node_count: Usize = 0
    token_ledger: list[TokenLedgerEntry] = []
    node_window: NodeWindow | None = skip_none()


# --- commits --------------------------------------------------------------------------------


class Unchanged(ExternallyTagged):
    """No node rows written; only the leaf pointer moves."""

    serde_variant = "Unchanged"
    leaf_node_id: str | None = None


class Append(ExternallyTagged):
    """Insert these nodes (never delete) and set the leaf."""

    serde_variant = "Append"
    nodes: list[SessionNodeRecord]
    leaf_node_id: str | None = None


class ReplaceFull(ExternallyTagged):
    """Write this whole graph; our stores keep nodes it no longer names (DESIGN: never delete)."""

    serde_variant = "ReplaceFull"
    serde_newtype_field = "graph"
    graph: SessionGraph


GraphCommitDelta: TypeAlias = Annotated[
    Annotated[Unchanged, Tag("Unchanged")]
    | Annotated[Append, Tag("Append")]
    | Annotated[ReplaceFull, Tag("ReplaceFull")],
    external_discriminator("GraphCommitDelta", "Unchanged, Append, ReplaceFull"),
]


def delta_leaf_node_id(delta: Unchanged | Append | ReplaceFull) -> str | None:
    """The leaf a commit moves the head to."""
    if isinstance(delta, ReplaceFull):
        return delta.graph.leaf_node_id
    return delta.leaf_node_id


class RuntimeCommitResult(SerdeModel):
    """``{head_revision (new), checkpoint_ref, manifest}``."""

    head_revision: U64
    checkpoint_ref: BlobRef
    manifest: SessionCheckpoint


class CommitReceipt(RuntimeCommitResult):
    """A commit's first result, kept under its operation id; a retry gets it back unchanged."""

    session_id: str
    operation_id: str
    leaf_node_id: str | None = None
    node_window: NodeWindow | None = skip_none()
    """None only for a receipt stored before the store kept windows (schema v5)."""


class TurnReceipt(BaseModel):
    """What a turn's outcome keeps of its commit receipt: where the session's head moved.

    Workflow history carries it once per turn, and rebuilding a past turn needs nothing else
    (the checkpoint manifest is the blob ``checkpoint_ref`` names). Built from a
    ``CommitReceipt`` by attribute; older histories carried the whole receipt, so unknown keys
    are ignored when reading."""

    model_config = ConfigDict(frozen=True, extra="ignore", from_attributes=True)

    head_revision: int
    checkpoint_ref: str | None = None
    leaf_node_id: str | None = None
    node_window: tuple[int, int] | None = None
    """The head's full graph as a range of stored nodes (absent in older histories, whose
    rebuilds read the path to the leaf only)."""


class RuntimeCommit(SerdeModel):
    """One atomic write. ``operation_id`` is our extension: the exactly-once key of the commit."""

    session_id: str
    expected_head_revision: U64 | None = None
    config: PersistedSessionConfig
    graph: GraphCommitDelta
    checkpoint: HydratedSessionCheckpoint
    usage_deltas: list[TokenLedgerEntry] = []
    operation_id: str

    @classmethod
    def persisted_state(
        cls,
        state: PersistedSessionState,
        usage_deltas: list[TokenLedgerEntry],
        *,
        operation_id: str,
    ) -> RuntimeCommit:
        """Spec §12.4: ReplaceFull when a rewrite is pending or no head exists, else Unchanged."""
        graph: Unchanged | ReplaceFull
        if state.graph_replace_required or state.head_revision is None:
            # Nodes are immutable once appended, so the commit shares them (lash clones an Arc).
            graph = ReplaceFull(graph=state.session_graph.__copy__())
        else:
            graph = Unchanged(leaf_node_id=state.session_graph.leaf_node_id)
        checkpoint = HydratedSessionCheckpoint(
            turn_state=state.turn_state(),
            tool_state_ref=state.tool_state_ref,
            tool_state=state.tool_state_snapshot,
            plugin_snapshot_ref=state.plugin_snapshot_ref,
            plugin_snapshot=state.plugin_snapshot,
            plugin_snapshot_revision=state.plugin_snapshot_revision,
            execution_state_ref=state.execution_state_ref,
            execution_state=state.execution_state_snapshot,
        )
        return cls(
            session_id=state.session_id,
            expected_head_revision=state.head_revision,
            config=PersistedSessionConfig.from_policy(state.policy),
            graph=graph,
            checkpoint=checkpoint,
            usage_deltas=[entry.model_copy(deep=True) for entry in usage_deltas],
            operation_id=operation_id,
        )

    def leaf_node_id(self) -> str | None:
        return delta_leaf_node_id(self.graph)


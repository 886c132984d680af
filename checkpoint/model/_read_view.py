"""SessionReadView: the read façade hosts and plugins get (spec §10). Not serialisable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._graph import SessionGraph, SessionMessageTreeNode
from ._message import Message
from ._mode import ModeTurnOptions
from ._nodes import SessionEventRecord
from ._policy import SessionPolicy
from ._tool_call import ToolCallRecord
from ._usage import PromptUsage, TokenUsage

if TYPE_CHECKING:
    from ._state import PersistedSessionState, SessionStateEnvelope


class SessionReadView:
    """A read-only view over a state's envelope fields; reads come from the graph's cache."""

    __slots__ = ("_envelope",)

    def __init__(self, envelope: SessionStateEnvelope) -> None:
        self._envelope = envelope

    @classmethod
    def from_exported_state(cls, state: SessionStateEnvelope) -> SessionReadView:
        return cls(state)

    @classmethod
    def from_persisted_state(cls, state: PersistedSessionState) -> SessionReadView:
        from ._state import SessionStateEnvelope

        fields = {k: getattr(state, k) for k in SessionStateEnvelope.model_fields}
        return cls(SessionStateEnvelope.model_construct(**fields))

    def session_id(self) -> str:
        return self._envelope.session_id

    def policy(self) -> SessionPolicy:
        return self._envelope.policy

    def messages(self) -> Sequence[Message]:
        return self._envelope.session_graph.messages()

    def tool_calls(self) -> Sequence[ToolCallRecord]:
        return self._envelope.session_graph.tool_calls()

    def active_events(self) -> Sequence[SessionEventRecord]:
        return self._envelope.session_graph.active_events()

    def turn_index(self) -> int:
        return self._envelope.turn_index

    def token_usage(self) -> TokenUsage:
        return self._envelope.token_usage

    def last_prompt_usage(self) -> PromptUsage | None:
        return self._envelope.last_prompt_usage

    def mode_turn_options(self) -> ModeTurnOptions:
        return self._envelope.mode_turn_options

    def message_tree(self) -> list[SessionMessageTreeNode]:
        return self._envelope.session_graph.message_tree()

    def materialized_session_graph(self) -> SessionGraph:
        return self._envelope.session_graph.__deepcopy__()

    def to_owned_state(self) -> SessionStateEnvelope:
        return self._envelope.model_copy(deep=True)

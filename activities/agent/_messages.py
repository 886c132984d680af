"""Standard-mode messages (spec §4) and their provider-neutral chat form.

A tool round is an Assistant message (Prose + one ToolCall part per call) followed by a User
message (one ToolResult part per call). Message ids derive from (session, turn id, ordinal), so a
retried or resumed turn writes byte-identical messages.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from activities.agent._tokens import message_tokens
from activities.agent.providers import ChatMessage, ModelReply, ToolCallRequest
from activities.agent.tools import ToolOutput
from checkpoint.model import (
    Message,
    OutcomeFailure,
    OutcomeSuccess,
    Part,
    RetryNever,
    ToolCallOutput,
    ToolCallRecord,
    ToolFailure,
)


def _part(mid: str, index: int, kind: Any, content: str, **extra: Any) -> Part:
    return Part(id=f"{mid}.p{index}", kind=kind, content=content, prune_state="Intact", **extra)


def user_message(mid: str, text: str) -> Message:
    return Message(id=mid, role="User", parts=[_part(mid, 0, "Text", text)])


def assistant_message(mid: str, reply: ModelReply) -> Message:
    """Prose (when there is text) then one ToolCall part per call, content = arguments JSON."""
    parts = [_part(mid, 0, "Prose", reply.text)] if reply.text else []
    for call in reply.tool_calls:
        parts.append(
            _part(
                mid,
                len(parts),
                "ToolCall",
                json.dumps(call.args, sort_keys=True),
                tool_call_id=call.id,
                tool_name=call.name,
            )
        )
    return Message(id=mid, role="Assistant", parts=parts)


def results_message(mid: str, calls: list[ToolCallRequest], texts: list[str]) -> Message:
    """One ToolResult part per call, in call order."""
    parts = [
        _part(mid, i, "ToolResult", text, tool_call_id=call.id, tool_name=call.name)
        for i, (call, text) in enumerate(zip(calls, texts, strict=True))
    ]
    return Message(id=mid, role="User", parts=parts)


def tool_record(call: ToolCallRequest, output: ToolOutput, duration_ms: int) -> ToolCallRecord:
    """The graph's record of one executed call."""
    if output.failure_class is None:
        outcome: OutcomeSuccess | OutcomeFailure = OutcomeSuccess(payload=output.value)
    else:
        outcome = OutcomeFailure(
            payload=ToolFailure(
                class_=output.failure_class,  # type: ignore[arg-type]
                code=output.failure_class,
                message=output.text,
                source="tool",
                retry=RetryNever(),
            )
        )
    return ToolCallRecord(
        call_id=call.id,
        tool=call.name,
        args=call.args,
        output=ToolCallOutput(outcome=outcome),
        duration_ms=duration_ms,
    )


class ChatView:
    """The conversation in chat form, extended as messages are appended.

    The active read model only grows during turns, so each message is converted (and its tokens
    estimated) once and the per-call cost stays flat however long the session is; a diverged
    prefix (a re-branch) is rebuilt from scratch. Prefix sums of tokens and user messages let
    the context window measure any suffix in O(1) (``_context_window``).
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._ids: list[str] = []
        self._chat: list[ChatMessage] = []
        self._tokens: list[int] = [0]
        """``_tokens[i]``: estimated tokens of ``_chat[:i]``."""
        self._users: list[int] = [0]
        """``_users[i]``: user-role chat messages in ``_chat[:i]`` (one per turn)."""
        self._chars: list[int] = [0]
        """``_chars[i]``: content characters of ``_chat[:i]``."""
        self.system_end = 0
        """Leading system messages (the system prompt): ``_chat[:system_end]``."""
        self.last_user: int | None = None
        """Index of the newest user-role chat message: the current turn's user message, since
        tool results travel as ``tool`` messages."""

    def update(self, messages: Sequence[Message]) -> None:
        """Convert only the messages of ``messages`` not seen yet."""
        seen = len(self._ids)
        if seen > len(messages) or (seen and messages[seen - 1].id != self._ids[-1]):
            self._reset()
            seen = 0
        for message in messages[seen:]:
            self._ids.append(message.id)
            for chat in _convert(message):
                self._add(chat)

    def _add(self, chat: ChatMessage) -> None:
        index = len(self._chat)
        self._chat.append(chat)
        self._chars.append(self._chars[-1] + len(chat.content))
        self._tokens.append(self._tokens[-1] + message_tokens(chat))
        self._users.append(self._users[-1] + (chat.role == "user"))
        if chat.role == "system" and index == self.system_end:
            self.system_end += 1
        if chat.role == "user":
            self.last_user = index

    def sync(self, messages: Sequence[Message]) -> tuple[ChatMessage, ...]:
        """The chat form of the whole of ``messages`` (a copy: O(length), unlike ``update``)."""
        self.update(messages)
        return tuple(self._chat)

    def __len__(self) -> int:
        return len(self._chat)

    def role(self, index: int) -> str:
        return self._chat[index].role

    def tokens(self, start: int, stop: int) -> int:
        """Estimated tokens of chat messages ``[start, stop)``."""
        return self._tokens[stop] - self._tokens[start]

    @property
    def chars(self) -> int:
        """Content characters of the whole conversation."""
        return self._chars[-1]

    def chars_in(self, start: int, stop: int) -> int:
        return self._chars[stop] - self._chars[start]

    def earliest(self, stop: int, floor: int, budget: int) -> int:
        """The smallest ``start >= floor`` with ``tokens(start, stop) <= budget`` (bisect on
        the prefix sums: O(log n))."""
        return bisect_left(self._tokens, self._tokens[stop] - budget, floor, stop)

    def users(self, start: int, stop: int) -> int:
        """User-role chat messages in ``[start, stop)``."""
        return self._users[stop] - self._users[start]

    def slice(self, start: int, stop: int) -> list[ChatMessage]:
        return self._chat[start:stop]


def to_chat(messages: Sequence[Message]) -> list[ChatMessage]:
    """The read model's messages as chat messages; ToolResult parts become ``tool`` messages."""
    return [chat for message in messages for chat in _convert(message)]


def _convert(message: Message) -> list[ChatMessage]:
    texts = [p.content for p in message.parts if p.kind in ("Text", "Prose", "Code", "Output")]
    if message.role == "Assistant":
        calls = [
            ToolCallRequest(id=p.tool_call_id or "", name=p.tool_name or "", args=_args(p))
            for p in message.parts
            if p.kind == "ToolCall"
        ]
        return [ChatMessage(role="assistant", content="\n".join(texts), tool_calls=calls)]
    chat = [
        ChatMessage(role="tool", content=p.content, tool_call_id=p.tool_call_id)
        for p in message.parts
        if p.kind == "ToolResult"
    ]
    if texts:
        role = "system" if message.role == "System" else "user"
        chat.append(ChatMessage(role=role, content="\n".join(texts)))
    return chat


def _args(part: Part) -> dict[str, Any]:
    try:
        value = json.loads(part.content or "{}")
    except ValueError:
        return {"raw": part.content}
    return value if isinstance(value, dict) else {"value": value}

"""A deterministic provider that plays a script: the default, needs no key.

A script is a list of turns, each a list of model steps ``{"text", "tool_calls": [{"name",
"args"}], "usage": {...}}`` (or ``{"turns": [...], "child_turns": [...]}``). The reply to a call
depends only on (turn index, step, sub-agent depth), so a retried call answers identically. The
optional call log gets one JSON line per COMPLETED call, which lets crash tests prove that no
completed call ran twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from activities.agent.providers._base import (
    ModelReply,
    ModelRequest,
    RawUsage,
    ToolCallRequest,
)
from activities.agent.providers._demo import DEMO_SCRIPT
from checkpoint.errors import ProviderError

EXHAUSTED_TEXT = "(the script has no more steps for this turn)"


def load_script(source: str | Path | None) -> dict[str, list[list[dict[str, Any]]]]:
    """Read a script file (None or ``"demo"`` gives the built-in demo) and check its shape."""
    if source is None or str(source) == "demo":
        raw: Any = DEMO_SCRIPT
    else:
        try:
            raw = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ProviderError(
                "scripted", f"cannot read script {source}: {exc}", retryable=False
            ) from exc
    script = {"turns": raw} if isinstance(raw, list) else raw
    turns = script.get("turns") if isinstance(script, dict) else None
    if not isinstance(turns, list) or not turns or not all(isinstance(t, list) for t in turns):
        raise ProviderError(
            "scripted", "a script is a non-empty list of turns (lists of steps)", retryable=False
        )
    for turn in [*turns, *script.get("child_turns", [])]:
        for step in turn:
            if not isinstance(step, dict) or not set(step) <= {"text", "tool_calls", "usage"}:
                raise ProviderError(
                    "scripted",
                    f"bad script step {step!r}: keys are text, tool_calls, usage",
                    retryable=False,
                )
    return {"turns": turns, "child_turns": script.get("child_turns") or turns}


class ScriptedProvider:
    """Plays a script; ``call_log`` and ``delay_s`` are knobs for crash tests."""

    kind = "scripted"
    input_usage_excludes_cached_tokens = False

    def __init__(
        self,
        script: str | Path | None = None,
        *,
        call_log: str | Path | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self._script = load_script(script)
        self._call_log = Path(call_log) if call_log else None
        self._delay_s = delay_s

    @classmethod
    def from_env(cls) -> ScriptedProvider:
        """Configure from LASH_SCRIPTED_SCRIPT, LASH_SCRIPTED_CALL_LOG and LASH_SCRIPTED_DELAY_S."""
        return cls(
            os.environ.get("LASH_SCRIPTED_SCRIPT") or None,
            call_log=os.environ.get("LASH_SCRIPTED_CALL_LOG") or None,
            delay_s=float(os.environ.get("LASH_SCRIPTED_DELAY_S") or 0.0),
        )

    async def complete(self, request: ModelRequest) -> ModelReply:
        if self._delay_s > 0:
            await asyncio.sleep(self._delay_s)
        reply = self._reply(request)
        if self._call_log is not None:
            self._log(request)
        return reply

    def _reply(self, request: ModelRequest) -> ModelReply:
        turns = self._script["child_turns" if request.subagent_depth > 0 else "turns"]
        turn = turns[max(request.turn_index - 1, 0) % len(turns)]
        step: dict[str, Any] = (
            turn[request.step] if request.step < len(turn) else {"text": EXHAUSTED_TEXT}
        )
        seed = hashlib.sha256(request.turn_id.encode()).hexdigest()[:10]
        calls = [
            ToolCallRequest(
                id=f"call_{seed}_{request.step}_{i}", name=c["name"], args=c.get("args") or {}
            )
            for i, c in enumerate(step.get("tool_calls") or [])
        ]
        text = str(step.get("text", ""))
        usage = step.get("usage") or _estimated_usage(request, text, calls)
        return ModelReply(text=text, tool_calls=calls, usage=RawUsage.model_validate(usage))

    def _log(self, request: ModelRequest) -> None:
        assert self._call_log is not None
        line = {
            "session_id": request.session_id,
            "turn_id": request.turn_id,
            "turn_index": request.turn_index,
            "step": request.step,
            "call_key": f"{request.session_id}:{request.turn_id}:{request.step}",
            "pid": os.getpid(),
        }
        # One O_APPEND write per line: survives a SIGKILL right after it returns.
        fd = os.open(self._call_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode())
        finally:
            os.close(fd)


def _estimated_usage(
    request: ModelRequest, text: str, calls: list[ToolCallRequest]
) -> dict[str, int]:
    """Deterministic token figures (about four characters a token) when the script gives none."""
    prompt_chars = request.prompt_chars
    if prompt_chars is None:
        prompt_chars = sum(len(m.content) for m in request.messages)
    prompt_chars += 16 * len(request.messages)
    out_chars = len(text) + sum(len(c.name) + len(json.dumps(c.args)) for c in calls)
    return {"input_tokens": prompt_chars // 4 + 8, "output_tokens": out_chars // 4 + 1}

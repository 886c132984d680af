"""Small deterministic tools: ``word_count`` and ``spawn_agent``."""

from __future__ import annotations

from typing import Any

from activities.agent.tools._types import ToolContext, ToolOutput, string_parameter
from activities.contract import MAX_SUBAGENT_DEPTH, MAX_TASK_CHARS


class WordCountTool:
    """Counts words and characters; the same input always gives the same output."""

    name = "word_count"
    description = "Count the words and characters in a text."
    parameters = string_parameter("text")

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        text = args.get("text")
        if not isinstance(text, str):
            return ToolOutput.failed("invalid_request", "word_count needs a string argument `text`")
        value = {"words": len(text.split()), "characters": len(text)}
        return ToolOutput(value=value, text=f"{value['words']} words, {value['characters']} chars")


class SpawnAgentTool:
    """Hands a task to a child session; the turn pauses until the child answers."""

    name = "spawn_agent"
    description = "Start a sub-agent on a task and return its answer."
    parameters = string_parameter("task")

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        task = args.get("task")
        if not isinstance(task, str) or not task.strip():
            return ToolOutput.failed("invalid_request", "spawn_agent needs a non-empty `task`")
        if len(task) > MAX_TASK_CHARS:
            return ToolOutput.failed(
                "invalid_request", f"spawn_agent task is longer than {MAX_TASK_CHARS} characters"
            )
        child = ctx.child_result
        if child is not None and child.error is not None:
            kind = "timeout" if child.timed_out else "execution"
            message = f"sub-agent {child.child_session_id} failed: {child.error}"
            return ToolOutput.failed(kind, message)
        if child is not None:
            answer = child.answer
            return ToolOutput(
                value={"child_session_id": child.child_session_id, "answer": answer},
                text=answer,
            )
        if ctx.subagent_depth >= MAX_SUBAGENT_DEPTH:
            return ToolOutput.failed(
                "resource_limit", f"sub-agents may not nest deeper than {MAX_SUBAGENT_DEPTH} levels"
            )
        return ToolOutput(spawn_task=task)

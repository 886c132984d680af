"""Small deterministic built-ins: ``word_count`` (a plain function tool) and ``spawn_agent``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from activities.agent.tools._definition import BUILTIN_SOURCE
from activities.agent.tools._function import adapted, function_tool
from activities.agent.tools._types import ToolContext, ToolOutput, string_parameter
from activities.contract import MAX_SUBAGENT_DEPTH, MAX_TASK_CHARS


def word_count(text: str) -> ToolOutput:
    """Count the words and characters in a text."""
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


class TaskArguments(BaseModel):
    task: str


WORD_COUNT = function_tool(word_count, source_id=BUILTIN_SOURCE)
SPAWN_AGENT = adapted(
    lambda _parts: SpawnAgentTool(),
    name=SpawnAgentTool.name,
    description=SpawnAgentTool.description,
    args=TaskArguments,
    source_id=BUILTIN_SOURCE,
)

"""Helpers for the Temporal suite: what the store should hold, and a worker in its own process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.client import Client

from activities.agent.providers._demo import DEMO_SCRIPT
from checkpoint.model import SessionUsageReport, TokenLedgerEntry
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.contract import workflow_id
from workflows.host.worker import READY_LINE

ROOT = Path(__file__).resolve().parents[3]
TEST_KEY = b"temporal-suite-key"


@dataclass(frozen=True)
class StoreView:
    """The parts of a stored session a test compares: no ids, so two sessions can be equal."""

    turn_index: int
    messages: list[tuple[str, tuple[tuple[str, str, str | None], ...]]]
    ledger: list[TokenLedgerEntry]
    node_count: int


async def store_view(store: CheckpointStore, session_id: str) -> StoreView:
    state = await load_persisted_session_state(store, session_id)
    messages = [
        (m.role, tuple((p.kind, p.content, p.tool_name) for p in m.parts))
        for m in state.session_graph.messages()
    ]
    return StoreView(
        turn_index=state.turn_index,
        messages=messages,
        ledger=list(state.token_ledger),
        node_count=len(state.session_graph.nodes),
    )


def demo_shape(texts: list[str]) -> list[tuple[str, tuple[tuple[str, str | None], ...]]]:
    """Role and (part kind, tool name) of every message the demo script leaves for ``texts``."""
    turns = DEMO_SCRIPT["turns"]
    shape: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []
    for n in range(1, len(texts) + 1):
        shape.append(("User", (("Text", None),)))
        for step in turns[(n - 1) % len(turns)]:
            calls = step.get("tool_calls") or []
            parts: list[tuple[str, str | None]] = [("Prose", None)] if step.get("text") else []
            parts += [("ToolCall", c["name"]) for c in calls]
            shape.append(("Assistant", tuple(parts)))
            if calls:
                shape.append(("User", tuple(("ToolResult", c["name"]) for c in calls)))
    return shape


def shape_of(view: StoreView) -> list[tuple[str, tuple[tuple[str, str | None], ...]]]:
    return [
        (role, tuple((kind, tool) for kind, _c, tool in parts)) for role, parts in view.messages
    ]


def user_texts(view: StoreView) -> list[str]:
    return [
        content
        for role, parts in view.messages
        if role == "User"
        for kind, content, _t in parts
        if kind == "Text"
    ]


def ledger_sum(deltas: list[TokenLedgerEntry]) -> dict[tuple[str, str], tuple[int, ...]]:
    """A ledger as comparable totals per (source, model)."""
    out: dict[tuple[str, str], tuple[int, ...]] = {}
    for e in deltas:
        u = e.usage
        old = out.get((e.source, e.model), (0, 0, 0, 0))
        new = (u.input_tokens, u.output_tokens, u.cached_input_tokens, u.reasoning_tokens)
        out[(e.source, e.model)] = tuple(a + b for a, b in zip(old, new, strict=True))
    return out


def report_sum(report: SessionUsageReport) -> dict[tuple[str, str], tuple[int, ...]]:
    """A usage report (the workflow's ledger, from its turns' outcomes) in ``ledger_sum`` form."""
    return {
        (row.source, row.model): (row.usage.input_tokens, row.usage.output_tokens,
                                  row.usage.cached_input_tokens, row.usage.reasoning_tokens)
        for row in report.by_source_model
    }


def call_lines(path: Path) -> list[dict[str, Any]]:
    """The call log's complete lines: a worker process may be writing the last one as the
    test reads (a reader can see part of a write), so a line counts once its newline is in."""
    if not path.exists():
        return []
    complete = path.read_text().rpartition("\n")[0]
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


async def history_json(client: Client, session_id: str, run_id: str | None = None) -> str:
    handle = client.get_workflow_handle(workflow_id(session_id), run_id=run_id)
    return (await handle.fetch_history()).to_json()


async def event_types(client: Client, session_id: str) -> list[str]:
    handle = client.get_workflow_handle(workflow_id(session_id))
    history = await handle.fetch_history()
    return [event.WhichOneof("attributes") or "" for event in history.events]


class WorkerProcess:
    """``python -m workflows.host.worker`` in a child process, with its output in a log file."""

    def __init__(
        self, target: str, task_queue: str, store_url: str, log_path: Path,
        env: dict[str, str] | None = None, extra_args: list[str] | None = None,
    ) -> None:
        self.args = [
            sys.executable, "-m", "workflows.host.worker", "--target", target,
            "--task-queue", task_queue, "--store", store_url, *(extra_args or []),
        ]
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LASH_EXECUTION_STATE_KEY": TEST_KEY.decode(),
            **(env or {}),
        }
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> WorkerProcess:
        """Start and wait (bounded) until the worker says it polls."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if READY_LINE.encode() in self.log_path.read_bytes()[offset:]:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"worker did not start: {self.log_path.read_text()[-2000:]}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, exactly like a machine dying."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM and wait; SIGKILL if it does not stop in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

"""``lash-temporal replay``: today's workflow code over recorded histories, before a deploy.

A history replays when today's ``SessionWorkflow`` makes exactly the commands the recorded run
made; when it does not, running sessions would break on deploy, and the failure names the
workflow and the event where determinism broke. Files may be an export
(``temporal workflow show --output json``, the Web UI's download, ``WorkflowHistory.to_json()``)
or a recording of ``tests/replay/record_history.py`` (``{"workflow_id", "history"}``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHistory
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError
from temporalio.worker import Replayer

from checkpoint.history import HistoryError, parse_history_json
from workflows.host.cli._access import connect_to, payload_store
from workflows.host.cli._config import Target
from workflows.host.cli._errors import from_rpc
from workflows.host.cli._runs import session_runs, short_run
from workflows.payloads import PayloadSource
from workflows.plugin import LashPlugin
from workflows.session import SessionWorkflow

_EVENT = re.compile(r"HistoryEvent\(id: (\d+), (\w+)")
_CORE_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')

_QUIET: Runtime | None = None


def _quiet_runtime() -> Runtime:
    """A runtime whose core logs only errors: a replay failure is reported once, by us, not
    also as the core's warning about the workflow task it failed."""
    global _QUIET
    if _QUIET is None:
        _QUIET = Runtime(telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        ))
    return _QUIET


@dataclass(frozen=True)
class ReplayProblem:
    """One history that did not replay: which, and where."""

    name: str
    workflow_id: str
    message: str

    def line(self) -> str:
        found = _EVENT.search(self.message)
        where = f"event {found[1]} ({found[2]})" if found else "an event"
        inner = _CORE_MESSAGE.search(self.message)
        reason = " ".join((inner[1] if inner else self.message).split())[:240]
        return f"{self.name}: {self.workflow_id} does not replay at {where}: {reason}"


def history_from_json(value: Any, name: str) -> WorkflowHistory:
    """A history from an export or a recording; the workflow id comes from the file or the
    start event."""
    wf_id = None
    if isinstance(value, dict) and "history" in value:
        wf_id, value = value.get("workflow_id"), value["history"]
    if not isinstance(value, dict) or not isinstance(value.get("events"), list):
        raise HistoryError(f"{name} is not a workflow history: expected {{\"events\": [...]}}")
    if not value["events"]:
        raise HistoryError(f"{name} holds no events")
    if wf_id is None:
        attrs = value["events"][0].get("workflowExecutionStartedEventAttributes") or {}
        wf_id = attrs.get("workflowId") or Path(name).stem
    try:
        return WorkflowHistory.from_json(str(wf_id), value)
    except Exception as err:  # protobuf's ParseError and friends: the file is malformed
        raise HistoryError(f"{name} is not a workflow history ({err})") from err


def histories_from_files(paths: Sequence[Path]) -> list[tuple[str, WorkflowHistory]]:
    found = []
    for path in paths:
        try:
            text = path.read_bytes()
        except OSError as err:
            raise HistoryError(f"cannot read {path}: {err.strerror or err}") from err
        found.append((str(path), history_from_json(parse_history_json(text, str(path)), str(path))))
    return found


async def session_histories(client: Client, session_id: str) -> list[tuple[str, WorkflowHistory]]:
    """Every run of the session (``session_runs``), oldest first, each named by its run."""
    runs = await session_runs(client, session_id)
    return [(f"run {short_run(run.run_id)}", run) for run in reversed(runs)]


async def replay(
    histories: Sequence[tuple[str, WorkflowHistory]],
    workflows: Sequence[type] = (SessionWorkflow,), *, store: PayloadSource | None = None,
) -> list[ReplayProblem]:
    """Replay each history with ``workflows`` (today's code by default); the ones that fail.
    ``store`` resolves payloads that travelled by reference (large messages)."""
    replayer = Replayer(
        workflows=list(workflows), plugins=[LashPlugin(store=store)], runtime=_quiet_runtime()
    )
    problems = []
    for name, history in histories:
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            problems.append(ReplayProblem(name, history.workflow_id, str(result.replay_failure)))
    return problems


async def replay_text(
    target: Target, files: Sequence[Path], session_id: str | None
) -> tuple[str, bool]:
    """(what ``replay`` prints, whether every history replayed)."""
    if session_id is not None:
        client = await connect_to(target)
        try:
            histories = await session_histories(client, session_id)
        except RPCError as err:
            raise from_rpc(err, address=target.address, session_id=session_id) from err
    else:
        histories = histories_from_files(files)
    problems = await replay(histories, store=payload_store(target))
    if problems:
        return "\n".join(p.line() for p in problems), False
    return f"{len(histories)} histor{'y' if len(histories) == 1 else 'ies'} replayed", True

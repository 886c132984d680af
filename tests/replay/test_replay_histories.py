"""Recorded session histories replay cleanly: the guard against non-deterministic changes.

Re-record with ``PYTHONPATH=. .venv/bin/python tests/replay/record_history.py`` (see there).
Older recordings stay, so runs that began before a change keep replaying: ``v1-*`` were recorded
before a new run loaded the session head (patch ``lash.load-session-head``), ``v2-*`` before
``LashTurnIndex`` upserts were coalesced (patch ``lash.coalesce-turn-index``), ``v3-*`` before
sub-agents had a timeout timer (patch ``lash.child-timeout``) and turns could be cancelled.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from replay_fixtures import ChangedSessionWorkflow, NoHeadLoadSessionWorkflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from workflows.plugin import LashPlugin
from workflows.session import SessionWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def _load(path: Path) -> WorkflowHistory:
    data = json.loads(path.read_text())
    return WorkflowHistory.from_json(data["workflow_id"], data["history"])


def test_the_recorded_histories_are_there() -> None:
    """A missing histories folder must not turn the replay check into zero tests."""
    assert {p.stem for p in HISTORIES} >= {
        "session-demo", "session-child", "session-continued", "session-carried",
        "session-slow-continued", "session-cancelled", "session-cancelled-child",
        "session-failed-children", "session-interrupted", "session-rewound",
        *(f"v1-session-{name}" for name in ("demo", "child", "continued")),
        *(f"v2-session-{name}" for name in ("demo", "child", "continued", "carried")),
        *(f"v3-session-{name}" for name in ("demo", "child", "continued", "carried")),
    }


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_a_recorded_history_replays_without_nondeterminism(path: Path) -> None:
    """Today's SessionWorkflow makes exactly the commands the recorded run made."""
    replayer = Replayer(workflows=[SessionWorkflow], plugins=[LashPlugin()])
    await replayer.replay_workflow(_load(path))


def _named(stem: str) -> Path:
    return next(p for p in HISTORIES if p.stem == stem)


async def test_a_changed_workflow_fails_to_replay_a_recorded_history() -> None:
    """The check can fail: a workflow that no longer schedules turns is caught."""
    replayer = Replayer(workflows=[ChangedSessionWorkflow], data_converter=pydantic_data_converter)
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(_load(_named("session-demo")))


@pytest.mark.parametrize("stem", ["session-demo", "session-continued"])
async def test_a_workflow_without_the_head_load_fails_to_replay_a_new_run(stem: str) -> None:
    """A new run's first command is the head load; leaving it out is a change the guard sees."""
    replayer = Replayer(
        workflows=[NoHeadLoadSessionWorkflow], data_converter=pydantic_data_converter
    )
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(_load(_named(stem)))


async def test_the_workflow_without_the_head_load_still_replays_a_carried_run() -> None:
    """The fixture above differs only in the head load: a run from a carry has none, so it
    replays, which shows the failures above are about that one command."""
    replayer = Replayer(
        workflows=[NoHeadLoadSessionWorkflow], data_converter=pydantic_data_converter
    )
    await replayer.replay_workflow(_load(_named("session-carried")))

"""``lash-temporal replay`` passes on the recorded histories and, with a changed workflow,
fails naming the workflow and the event where determinism broke."""

from __future__ import annotations

from pathlib import Path

import pytest
from replay_fixtures import ChangedSessionWorkflow

from workflows.host.cli import _main
from workflows.host.cli._replay import histories_from_files, replay

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


async def test_every_recorded_history_replays_with_todays_workflow() -> None:
    """The command's replay function accepts the recorded ``{workflow_id, history}`` files."""
    assert await replay(histories_from_files(HISTORIES)) == []


async def test_a_changed_workflow_fails_naming_the_workflow_and_the_event() -> None:
    """One line per history: the file, the workflow id and the event that broke."""
    demo = [p for p in HISTORIES if p.stem == "session-demo"]
    problems = await replay(histories_from_files(demo), workflows=[ChangedSessionWorkflow])
    assert len(problems) == 1
    line = problems[0].line()
    assert line.startswith(f"{demo[0]}: lash-session/replay-demo does not replay at event ")
    assert "Nondeterminism" in line or "nondeterminism" in line


def test_the_command_exits_0_on_recorded_histories(capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 0 and a count when every file replays."""
    assert _main.run(["replay", *map(str, HISTORIES[:3])]) == 0
    assert "3 histories replayed" in capsys.readouterr().out


def test_a_corrupted_file_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No traceback: one ``lash-temporal: error:`` line."""
    bad = tmp_path / "bad.json"
    bad.write_text("not json at all")
    assert _main.run(["replay", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lash-temporal: error:")

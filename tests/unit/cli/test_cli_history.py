"""``history`` and ``rebuild`` refuse bad history files with one clear line and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows.host.cli._main import run

HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories"
DEMO = HISTORIES / "session-demo.json"


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    assert run(argv) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("lash-temporal: error: ") and says in lines[0]
    assert captured.out == ""


def test_history_lists_one_line_per_turn(capsys: pytest.CaptureFixture[str]) -> None:
    """A header, then each turn with its message and checkpoint."""
    assert run(["history", "replay-demo", "--history-file", str(DEMO)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "session replay-demo: 6 turns in 1 run"
    assert len(lines) == 7 and '"demo message 1"' in lines[1] and "ckpt " in lines[1]


def test_a_corrupted_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\x89PNG not a history")
    _fails(capsys, ["rebuild", "s", "--history-file", str(bad)], "is not a JSON workflow history")


def test_a_truncated_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cut = tmp_path / "cut.json"
    cut.write_text(DEMO.read_text()[:5000])
    _fails(capsys, ["rebuild", "s", "--history-file", str(cut)], "is truncated")


def test_another_workflow_type(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = json.loads(DEMO.read_text())
    data["history"]["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"][
        "name"] = "orders.checkout"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    _fails(capsys, ["history", "s", "--history-file", str(other)],
           "workflow type 'orders.checkout'")


def test_a_turn_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    _fails(capsys, ["rebuild", "replay-demo", "--at-turn", "40", "--history-file", str(DEMO)],
           "has no turn 40: its latest turn is 6")


def test_files_of_another_session(capsys: pytest.CaptureFixture[str]) -> None:
    _fails(capsys, ["rebuild", "someone-else", "--history-file", str(DEMO)],
           "hold session 'replay-demo', not 'someone-else'")


def test_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _fails(capsys, ["history", "s", "--history-file", str(tmp_path / "nope.json")], "cannot read")


@pytest.mark.parametrize(("new_session", "says"), [
    ("", "--new-session: String should have at least 1 character"),
    ("x" * 201, "--new-session: String should have at most 200 characters"),
])
def test_a_bad_fork_id_is_a_usage_error_before_anything_is_written(
    new_session: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 naming the option; the store is not even created."""
    store = tmp_path / "store.db"
    assert run(["fork", "s", "--new-session", new_session, "--store", f"sqlite:///{store}"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and says in lines[0]
    assert not store.exists()


@pytest.mark.parametrize("command", [
    ["rebuild", "s", "--at-turn"], ["fork", "s", "--at-turn"], ["resume", "s", "--at-turn"],
    ["rewind", "s", "--to-turn"],
])
def test_a_turn_that_cannot_be_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """A negative turn or one that is not a number is refused by the parser, naming it."""
    for value, says in (("-3", "turn -3 cannot be: turns count from 0"),
                        ("x", "'x' is not a turn number")):
        assert run([*command, value]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"argument {command[-1]}: {says}" in err, err

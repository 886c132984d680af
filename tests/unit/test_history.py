"""checkpoint.history reads recorded session histories in every accepted shape, and refuses
another workflow's history, a cut one and a corrupted one with one clear error each."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from activities.contract import REWIND_SESSION_ACTIVITY, RUN_TURN_ACTIVITY
from activities.session_head import LOAD_SESSION_HEAD_ACTIVITY
from checkpoint.history import (
    LATEST,
    LOAD_SESSION_HEAD,
    REWIND_SESSION,
    RUN_TURN,
    SESSION_WORKFLOW_TYPE,
    HistoryError,
    TurnRuns,
    json_differences,
    parse_history_json,
    read_history,
    runs_for_turn,
)

HISTORIES = Path(__file__).resolve().parents[1] / "replay" / "histories"


def _recorded(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HISTORIES / f"{stem}.json").read_text())
    return data


def _ui_download(history: dict[str, Any]) -> dict[str, Any]:
    """The Web UI's older export: ``ActivityTaskCompleted`` event types, ints for ids."""
    events = copy.deepcopy(history["events"])
    for event in events:
        kind = event["eventType"].removeprefix("EVENT_TYPE_")
        event["eventType"] = "".join(w.capitalize() for w in kind.split("_"))
        event["eventId"] = int(event["eventId"])
    return {"events": events}


def test_the_names_agree_with_the_workflow_and_activities() -> None:
    """The reader's activity and workflow names are the ones the workers register."""
    from workflows.session import SessionWorkflow

    assert RUN_TURN == RUN_TURN_ACTIVITY
    assert LOAD_SESSION_HEAD == LOAD_SESSION_HEAD_ACTIVITY
    assert REWIND_SESSION == REWIND_SESSION_ACTIVITY
    definition = SessionWorkflow.__temporal_workflow_definition  # type: ignore[attr-defined]
    assert definition.name == SESSION_WORKFLOW_TYPE


@pytest.mark.parametrize("stem", ["session-demo", "v4-session-demo"])
def test_a_recorded_demo_reads_as_five_turns(stem: str) -> None:
    """Every completed run_turn is one turn, with its receipt, message and summed ledger, in
    today's payloads (zero counts left out) and in those written before."""
    history = read_history([_recorded(stem)])
    assert [t.turn_index for t in history.turns] == [1, 2, 3, 4, 5, 6]
    assert history.session_id == "replay-demo"
    ledger = {(e.source, e.model) for e in history.turns[-1].ledger}
    assert ("subagent", "scripted-demo") in ledger
    assert all(t.checkpoint_ref and t.leaf_node_id for t in history.turns)
    revisions = [t.head_revision for t in history.turns]
    assert revisions == sorted(revisions)


def test_a_recorded_rewind_reads_as_a_rewind_and_windows_that_hold_the_old_branch() -> None:
    """Six turns with a rewind to turn 2 after turn 4: the rewind is read where it happened,
    and each receipt's node window only grows, so turns 5 and 6 hold turns 3-4's nodes too;
    histories from before windows read with none."""
    history = read_history([_recorded("session-rewound")])
    assert [t.turn_index for t in history.turns] == [1, 2, 3, 4, 5, 6]
    [rewound] = history.rewinds
    assert (rewound.to_turn, rewound.after_turn) == (2, 4)
    windows = [t.node_window for t in history.turns]
    assert all(w is not None and w[0] == 0 for w in windows)
    ends = [w[1] for w in windows if w is not None]
    assert ends == sorted(ends) and len(set(ends)) == len(ends)
    assert history.turns[4].leaf_node_id != history.turns[3].leaf_node_id
    old = read_history([_recorded("session-demo")])
    assert all(t.node_window is None for t in old.turns) and old.rewinds == []


@pytest.mark.parametrize("prefix", ["", "v4-"])
def test_a_continue_as_new_chain_reads_in_order_whatever_the_file_order(prefix: str) -> None:
    """Runs are ordered by their start; the carried run continues the turn numbers."""
    first = _recorded(f"{prefix}session-continued")
    second = _recorded(f"{prefix}session-carried")
    history = read_history([second, first])
    assert len(history.runs) == 2
    assert history.runs[0].continued_to == history.runs[1].run_id
    assert [t.turn_index for t in history.turns] == [1, 2, 3, 4]
    assert history.turns[2].ledger != history.turns[1].ledger


def test_a_ui_download_reads_like_the_sdk_export() -> None:
    """``ActivityTaskCompleted`` event types and integer ids read the same."""
    recorded = _recorded("session-demo")
    a = read_history([recorded])
    b = read_history([_ui_download(recorded["history"])])
    assert a.turns == b.turns


def test_another_workflow_type_is_refused() -> None:
    """A history of another workflow names its type."""
    history = copy.deepcopy(_recorded("session-demo"))
    attrs = history["history"]["events"][0]["workflowExecutionStartedEventAttributes"]
    attrs["workflowType"]["name"] = "billing.invoice"
    with pytest.raises(HistoryError, match=r"workflow type 'billing\.invoice'"):
        read_history([history], names=["x.json"])


def test_a_history_with_missing_events_is_truncated() -> None:
    """A gap in the event ids is refused, naming the first missing event."""
    history = copy.deepcopy(_recorded("session-demo"))
    del history["history"]["events"][10:20]
    with pytest.raises(HistoryError, match=r"x\.json is truncated: event 11 is missing"):
        read_history([history], names=["x.json"])


def test_a_cut_file_and_a_corrupted_file_get_different_errors() -> None:
    """JSON that ends early is truncated; text that is not JSON is not a history."""
    text = (HISTORIES / "session-demo.json").read_text()
    with pytest.raises(HistoryError, match="truncated"):
        parse_history_json(text[: len(text) // 2], "cut.json")
    with pytest.raises(HistoryError, match="not a JSON workflow history"):
        parse_history_json("\x00\x01garbage", "bad.json")


def test_an_encoded_payload_is_refused_clearly() -> None:
    """A payload a codec encrypted cannot be read; the error says to export it decoded."""
    history = copy.deepcopy(_recorded("session-demo"))
    payload = history["history"]["events"][0]["workflowExecutionStartedEventAttributes"][
        "input"]["payloads"][0]
    payload["metadata"]["encoding"] = base64.b64encode(b"binary/encrypted").decode()
    with pytest.raises(HistoryError, match="not plain JSON"):
        read_history([history])


def test_a_turn_out_of_range_names_the_range() -> None:
    """Asking for a turn past the latest names the latest; one before the runs read names the
    turns they hold."""
    history = read_history([_recorded("session-demo")])
    with pytest.raises(HistoryError, match=r"no turn 9: its latest turn is 6$"):
        history.turn(9)
    assert history.turn(None).turn_index == 6
    second_run = read_history([_recorded("session-carried")])
    first = second_run.turns[0].turn_index
    assert first > 1
    with pytest.raises(HistoryError, match=rf"no turn 1: the history read begins at turn {first}$"):
        second_run.turn(1)
    gap = read_history([_recorded("session-demo")])
    del gap.turns[2]
    with pytest.raises(HistoryError, match=r"no turn 3 in the history read \(a run that holds"):
        gap.turn(3)


def test_a_run_read_for_its_first_event_still_says_the_latest_turn_and_window() -> None:
    """A carried run cut to its start holds no turn, but its carry says how many turns came
    before and where the head's node window starts (what a read for one turn relies on)."""
    history = copy.deepcopy(_recorded("session-carried"))
    started = history["history"]["events"][0]
    payload = started["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    value = json.loads(base64.b64decode(payload["data"]))
    value["start"]["carry"]["head"]["node_window"] = [7, 20]
    payload["data"] = base64.b64encode(json.dumps(value).encode()).decode()
    history["history"]["events"] = [started]
    cut = read_history([history])
    assert cut.turns == [] and cut.window_start == 7
    assert cut.head is not None and (cut.head.turn_index, cut.head.head_revision) == (2, 4)
    assert [(e.source, e.usage.input_tokens) for e in cut.head.ledger] == [("turn", 163)]
    with pytest.raises(HistoryError, match=r"no turn 5: its latest turn is 2$"):
        cut.turn(5)
    with pytest.raises(HistoryError, match=r"no turn 1 in the history read \(a run that holds"):
        cut.turn(1)


def test_a_rewind_after_the_latest_turn_is_the_newest_head() -> None:
    """Cut right after its rewind, a history's latest turn is still turn 4, but its newest head
    is the rewound one (what verify compares with the store); a later turn's head replaces it."""
    history = copy.deepcopy(_recorded("session-rewound"))
    whole = read_history([history])
    [rewind] = whole.rewinds
    history["history"]["events"] = history["history"]["events"][: rewind.event_id]
    cut = read_history([history])
    assert cut.turn().turn_index == rewind.after_turn == 4
    assert cut.head is not None and cut.head.status == "loaded"
    assert cut.head.head_revision > cut.turn().head_revision
    assert cut.head.turn_index == 4 and cut.head.ledger == cut.turn().ledger
    assert whole.head == whole.turn(), "turns after the rewind moved the head on"


def _decoded(payload: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(payload["data"]))


def _encode(payload: dict[str, Any], value: Any) -> None:
    payload["data"] = base64.b64encode(json.dumps(value).encode()).decode()


def test_a_carry_without_a_window_keeps_the_window_of_the_head_it_names() -> None:
    """Carries written before they kept node windows name the last turn's head with less: the
    newest head read stays that turn's window, so verify does not drop old branches."""
    first = copy.deepcopy(_recorded("session-continued"))
    second = copy.deepcopy(_recorded("session-carried"))
    completions = [e for e in first["history"]["events"]
                   if "activityTaskCompletedEventAttributes" in e]
    last = completions[-1]["activityTaskCompletedEventAttributes"]["result"]["payloads"][0]
    outcome = _decoded(last)
    outcome["receipt"]["node_window"] = [0, 10]
    _encode(last, outcome)
    second["history"]["events"] = second["history"]["events"][:1]
    carry = _decoded(second["history"]["events"][0]["workflowExecutionStartedEventAttributes"][
        "input"]["payloads"][0])["start"]["carry"]
    assert "node_window" not in carry["head"]
    history = read_history([first, second])
    assert history.head is not None and history.head.run_id == history.runs[1].run_id
    assert history.head.head_revision == history.turn().head_revision
    assert history.head.node_window == (0, 10) == history.turn().node_window


def test_json_differences_name_each_path() -> None:
    """Differences are listed by JSON path, missing keys and list lengths included."""
    a = {"x": 1, "y": [1, 2], "z": {"k": "a"}}
    b = {"x": 2, "y": [1], "z": {"k": "a", "m": 0}}
    assert json_differences(a, b) == [
        "$.x: 1 rebuilt, 2 in the store",
        "$.y: 2 items rebuilt, 1 in the store",
        "$.z.m: only in store",
    ]


@pytest.mark.parametrize(("for_turn", "befores", "whole"), [
    (15, [30, 20, 10, 0], [True, False, True, False]),
    (35, [30, 20, 10, 0], [True, False, False, False]),
    (5, [30, 20, 10, None], [True, False, False, True]),
    (15, [30, None, 10, None], [True, True, True, False]),
    (LATEST, [30, 20, None], [True, True, False]),
    (LATEST, [None, 20, None], [True, True, True]),
])
def test_a_read_for_one_turn_takes_the_newest_run_and_the_one_that_holds_it(
    for_turn: int | str, befores: list[int | None], whole: list[bool]
) -> None:
    """Asked newest run first with the turns before each: the newest, the run that holds the
    turn, and any run whose count is unknown until one is known to hold it; for the latest
    turn, the newest run's count is the turn (it may not have finished a turn of its own)."""
    needs = TurnRuns(for_turn)  # type: ignore[arg-type]
    assert [needs.whole(before) for before in befores] == whole


@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "files reversed"])
def test_exported_runs_a_turn_does_not_need_are_cut_to_their_start(reverse: bool) -> None:
    """Turn 3 is in the second run: the first keeps its start alone and every turn of the
    second reads as in a full read; turn 1 needs both runs whole, whatever the file order."""
    runs = [_recorded("session-continued"), _recorded("session-carried")]
    names = ["run-1.json", "run-2.json"]
    if reverse:
        runs, names = runs[::-1], names[::-1]
    full = read_history(runs, names=names)
    later = read_history(runs_for_turn(runs, names, 3), names=names)
    assert [r.events for r in later.runs] == [1, full.runs[1].events]
    assert later.turn(3) == full.turn(3) and later.turn(4) == full.turn(4)
    assert later.window_start == full.window_start and later.head == full.head
    with pytest.raises(HistoryError, match=r"no turn 1: the history read begins at turn 3$"):
        later.turn(1)
    earlier = read_history(runs_for_turn(runs, names, 1), names=names)
    assert [r.events for r in earlier.runs] == [r.events for r in full.runs]
    assert earlier.turn(1) == full.turn(1)


def test_exported_runs_that_do_not_read_are_all_kept_for_the_reader_to_refuse() -> None:
    """A run with a gap (or given twice) keeps every run whole: the full read names the
    problem, as it would without a turn."""
    broken = copy.deepcopy(_recorded("session-carried"))
    del broken["history"]["events"][5:8]
    runs, names = [_recorded("session-continued"), broken], ["a.json", "b.json"]
    assert runs_for_turn(runs, names, 3) is runs
    with pytest.raises(HistoryError, match=r"b\.json is truncated: event 6 is missing"):
        read_history(runs_for_turn(runs, names, 3), names=names)
    twice = [_recorded("session-carried"), _recorded("session-continued"),
             _recorded("session-carried")]
    assert runs_for_turn(twice, ["a", "b", "c"], 3) is twice

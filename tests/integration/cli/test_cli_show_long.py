"""``show`` of long sessions: flat JSON linear in the session, a text summary that starts at once.

Each store holds one session of N turns (``long_session``) under the id of a real session of
the dev stack, so ``show`` finds its workflow in Temporal and its graph in the store.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_harness import CLI, DevStack, run_cli
from long_session import build_long_session

pytestmark = pytest.mark.temporal

LENGTHS = (100, 1_000, 10_000)


@dataclass(frozen=True)
class LongSessions:
    session_id: str
    stores: dict[int, str]
    """Store URL by session length in turns."""
    workdir: Path


@pytest.fixture(scope="module")
def long_sessions(dev_stack: DevStack, tmp_path_factory: pytest.TempPathFactory) -> LongSessions:
    home = tmp_path_factory.mktemp("long")
    session_id = f"long-{uuid.uuid4().hex[:8]}"
    first = run_cli("chat", session_id, "hello", "--provider", "scripted", cwd=home,
                    env=dev_stack.env())
    assert first.code == 0, first.err
    stores = {n: build_long_session(home / f"s{n}.db", session_id, n) for n in LENGTHS}
    return LongSessions(session_id, stores, home)


def _show(stack: DevStack, long: LongSessions, turns: int, *args: str) -> tuple[bytes, float]:
    """Run ``show`` on the store of ``turns`` turns; its stdout and the seconds to its first line.
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        [*CLI, "show", long.session_id, "--store", long.stores[turns], *args], cwd=long.workdir,
        env=stack.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    first_line_s = time.monotonic() - start
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert not err.strip(), err.decode()
    return first + rest, first_line_s


def test_show_json_is_valid_and_linear_in_the_session(
    dev_stack: DevStack, long_sessions: LongSessions
) -> None:
    """1,000 turns: valid JSON, every message listed flat; bytes per turn within 1.3x of 100's."""
    per_turn = {}
    for turns in (100, 1_000):
        out, _ = _show(dev_stack, long_sessions, turns, "--json")
        graph = json.loads(out)["graph"]
        assert graph["message_count"] == len(graph["nodes"]) == 2 * turns
        assert len(graph["active_path"]) == 2 * turns
        assert graph["nodes"][1]["parent_id"] == graph["nodes"][0]["node_id"]
        per_turn[turns] = len(out) / turns
    ratio = per_turn[1_000] / per_turn[100]
    print(f"\nshow --json: {per_turn[100]:,.0f} bytes/turn at 100 turns, "
          f"{per_turn[1_000]:,.0f} at 1,000 (x{ratio:.2f})")
    assert ratio <= 1.3


def test_text_show_prints_the_last_turns_and_starts_at_once(
    dev_stack: DevStack, long_sessions: LongSessions
) -> None:
    """10,000 turns: the summary lines come as soon as for 100 turns; the graph shows the last
    20 turns and says how many messages there are in all."""
    _, first_short = _show(dev_stack, long_sessions, 100)
    start = time.monotonic()
    out, first_long = _show(dev_stack, long_sessions, 10_000)
    total = time.monotonic() - start
    text = out.decode()
    print(f"\nshow at 10,000 turns: first line after {first_long:.2f} s (100 turns: "
          f"{first_short:.2f} s), all of it after {total:.2f} s, {len(text):,} bytes")
    assert first_long - first_short < 1.0
    header = ("graph (showing 40 of 20,000 messages: the last 20 of 10,000 turns, --all shows "
              "every message; ● active path, ○ other branches)")
    assert header in text
    tree = text.split(header + "\n", 1)[1].splitlines()
    assert len(tree) == 40 and tree[0].startswith("  ● you: How many words")
    everything, _ = _show(dev_stack, long_sessions, 100, "--all")
    assert "graph (200 messages; ● active path" in everything.decode()


def test_a_closed_pipe_ends_show_quietly(
    dev_stack: DevStack, long_sessions: LongSessions
) -> None:
    """``show --json | head -c 1``: no BrokenPipeError traceback, exit 141 as for SIGPIPE."""
    proc = subprocess.Popen(
        [*CLI, "show", long_sessions.session_id, "--json", "--store",
         long_sessions.stores[1_000]], cwd=long_sessions.workdir, env=dev_stack.env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(1) == b"{"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 141, err
    assert err == ""

"""How fast the session model is next to plain JSON, and whether appends grow linearly.

Prints (not a test; figures are ratios measured within one run):
- parse + dump of a 1,000-turn state (4 nodes a turn, about 4,000 nodes) against ``json.loads`` +
  ``json.dumps`` of the same document, for the JSON-text path and the dict path;
- the cost of appending 10,000 messages one by one (reading the read model after each) against
  1,000: linear growth shows as a ratio near 10, quadratic as near 100.

Run: ``python -m benchmarks model`` (or ``python3 dev.py bench model``).
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable

from checkpoint.model import (
    Message,
    OutcomeSuccess,
    PersistedSessionState,
    SessionGraph,
    TokenLedgerEntry,
    TokenUsage,
    ToolCallOutput,
    ToolCallRecord,
)

TURNS = 1_000
REPEATS = 5


def _message(message_id: str, role: str, kind: str, content: str, call: str | None) -> Message:
    part = {"id": f"{message_id}.p0", "kind": kind, "content": content, "prune_state": "Intact"}
    if call is not None:
        part |= {"tool_call_id": call, "tool_name": "search"}
    return Message.model_validate({"id": message_id, "role": role, "parts": [part]})


def build_state(turns: int = TURNS) -> PersistedSessionState:
    """A state after ``turns`` tool-using turns: user, assistant call, tool node, result."""
    graph = SessionGraph()
    for turn in range(turns):
        call = f"call_{turn}"
        graph.append_message(_message(f"u{turn}", "User", "Text", "What next? " * 18, None))
        graph.append_message(
            _message(f"a{turn}", "Assistant", "ToolCall", '{"query":"lash sessions"}', call)
        )
        record = ToolCallRecord(
            call_id=call,
            tool="search",
            args={"query": "lash sessions", "limit": 5},
            output=ToolCallOutput(outcome=OutcomeSuccess(payload={"hits": ["a" * 40] * 5})),
            duration_ms=120 + turn,
        )
        graph.append_tool_call_records([record])
        graph.append_message(_message(f"r{turn}", "User", "ToolResult", "result " * 30, call))
    usage = TokenUsage(input_tokens=10**6, output_tokens=10**5, cached_input_tokens=10**5)
    return PersistedSessionState(
        session_id="bench",
        session_graph=graph,
        turn_index=turns,
        plugin_snapshot_revision=2**64 - 1,
        token_ledger=[TokenLedgerEntry(source="turn", model="m", usage=usage)],
    )


def best_of(action: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of ``repeats`` runs, in seconds (GC paused while timing)."""
    timings = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            action()
            timings.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return min(timings)


def parse_and_dump_figures() -> dict[str, float]:
    state = build_state()
    text = state.model_dump_json()
    baseline = best_of(lambda: json.dumps(json.loads(text)))
    via_text = best_of(lambda: PersistedSessionState.model_validate_json(text).model_dump_json())
    via_dict = best_of(
        lambda: json.dumps(
            PersistedSessionState.model_validate(json.loads(text)).model_dump(mode="json")
        )
    )
    return {
        "nodes": len(state.session_graph.nodes),
        "bytes": len(text),
        "json_ms": baseline * 1e3,
        "model_text_ms": via_text * 1e3,
        "model_dict_ms": via_dict * 1e3,
    }


def append_cost(count: int) -> float:
    """Seconds to append ``count`` messages one by one, reading the read model after each."""
    messages = [_message(f"m{i}", "User", "Text", "hi", None) for i in range(count)]

    def run() -> None:
        graph = SessionGraph()
        for message in messages:
            graph.append_message(message)
            graph.messages()

    return best_of(run, repeats=7)


def main() -> None:
    figures = parse_and_dump_figures()
    print(
        f"1,000-turn state: {figures['nodes']:.0f} nodes, {figures['bytes'] / 1e6:.2f} MB of JSON"
    )
    print(f"  json.loads + json.dumps:                       {figures['json_ms']:8.1f} ms  (1.00x)")
    for label, key in (
        ("model_validate_json + model_dump_json:", "model_text_ms"),
        ("json.loads + model_validate + dump + dumps:", "model_dict_ms"),
    ):
        ratio = figures[key] / figures["json_ms"]
        print(f"  {label:<46} {figures[key]:8.1f} ms  ({ratio:.2f}x)")
    small, large = append_cost(1_000), append_cost(10_000)
    print("append_message one by one (+ read model each time):")
    print(f"  1,000 messages:  {small * 1e3:8.1f} ms  ({small / 1_000 * 1e6:.1f} us each)")
    print(f"  10,000 messages: {large * 1e3:8.1f} ms  ({large / 10_000 * 1e6:.1f} us each)")
    print(f"  growth 10,000 / 1,000 = {large / small:.1f}x (linear ~10x, quadratic ~100x)")


if __name__ == "__main__":
    main()

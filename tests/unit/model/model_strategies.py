"""Hypothesis strategies that draw lash's wire JSON in the exact form serde writes it.

Every dict is built in Rust declaration order, optional keys are left out where serde skips
them, serde_json Values have sorted keys, and a ToolValue object that holds the reserved key is
escaped. So ``dump(validate(doc))`` must give back ``doc`` itself, key order included.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

U64_MAX = 2**64 - 1
TAG = "$lash_tool_value"

u64 = st.one_of(st.sampled_from([0, 1, 2**53 + 1, U64_MAX - 1, U64_MAX]), st.integers(0, U64_MAX))
u32 = st.integers(0, 2**32 - 1)
i64 = st.one_of(st.sampled_from([-(2**63), -1, 0, 2**63 - 1]), st.integers(-(2**63), 2**63 - 1))
text = st.text(max_size=8)
key = st.text(max_size=6).filter(lambda k: k != TAG)
opt_text = st.none() | text


def _obj(*pairs: tuple[str, Any], skip_none: tuple[str, ...] = ()) -> dict[str, Any]:
    """A struct in declaration order, leaving out the keys serde skips when None."""
    return {k: v for k, v in pairs if not (k in skip_none and v is None)}


def _sorted(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in sorted(d)}


json_scalar = st.one_of(
    st.none(), st.booleans(), i64, st.integers(0, U64_MAX),
    st.floats(allow_nan=False, allow_infinity=False), text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(key, inner, max_size=3).map(_sorted)
    ),
    max_leaves=6,
)
byte_array = st.binary(max_size=24).map(list)

attachment_ref = st.builds(
    lambda id_, kind, n, w, h, label: _obj(
        ("id", id_), ("media_type", {"kind": "image", "type": kind}), ("byte_len", n),
        ("width", w), ("height", h), ("label", label), skip_none=("width", "height", "label"),
    ),
    text, st.sampled_from(["png", "jpeg", "gif", "webp", "bmp"]), u64,
    st.none() | u32, st.none() | u32, opt_text,
)


def _tool_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    plain = st.dictionaries(key, inner, max_size=3).map(_sorted)
    escaped = st.dictionaries(key, inner, max_size=2).flatmap(
        lambda d: inner.map(lambda v: {TAG: "object", "entries": _sorted({**d, TAG: v})})
    )
    return st.lists(inner, max_size=3) | plain | escaped


tool_value = st.recursive(
    json_scalar | attachment_ref.map(lambda ref: {TAG: "attachment", "ref": ref}),
    _tool_containers,
    max_leaves=6,
)
non_null_tool_value = tool_value.filter(lambda v: v is not None)

retry = st.one_of(
    st.just({"type": "never"}),
    st.just({"type": "safe"}),
    u64.map(lambda ms: {"type": "safe", "after_ms": ms}),
    u32.map(lambda n: {"type": "exhausted", "attempts": n}),
)
failure_class = st.sampled_from([
    "invalid_request", "unavailable", "permission_denied", "timeout",
    "execution", "external", "resource_limit", "internal",
])
failure_source = st.sampled_from(["runtime", "tool", "plugin", "policy", "cancellation"])
tool_failure = st.builds(
    lambda c, code, msg, src, r, raw: _obj(
        ("class", c), ("code", code), ("message", msg), ("source", src), ("retry", r),
        ("raw", raw), skip_none=("raw",),
    ),
    failure_class, text, text, failure_source, retry, st.none() | non_null_tool_value,
)
tool_cancellation = st.builds(
    lambda msg, src, raw: _obj(("message", msg), ("source", src), ("raw", raw), skip_none=("raw",)),
    text, failure_source, st.none() | non_null_tool_value,
)
outcome = st.one_of(
    tool_value.map(lambda v: {"status": "success", "payload": v}),
    tool_failure.map(lambda f: {"status": "failure", "payload": f}),
    tool_cancellation.map(lambda c: {"status": "cancelled", "payload": c}),
)
control = st.one_of(
    text.map(lambda s: {"type": "handoff", "session_id": s}),
    tool_value.map(lambda v: {"type": "finish", "value": v}),
    tool_failure.map(lambda f: {"type": "fail", "failure": f}),
)
tool_record = st.builds(
    lambda call_id, tool, args, out, ctl, ms: _obj(
        ("call_id", call_id), ("tool", tool), ("args", args),
        ("output", _obj(("outcome", out), ("control", ctl), skip_none=("control",))),
        ("duration_ms", ms), skip_none=("call_id",),
    ),
    opt_text, text, json_value, outcome, st.none() | control, u64,
)

prune_state = st.one_of(
    st.sampled_from(["Intact", "Cleared"]),
    st.builds(lambda b, h: {"Deleted": {"breadcrumb": b, "archive_hash": h}}, text, text),
    st.builds(lambda s, h: {"Summarized": {"summary": s, "archive_hash": h}}, text, text),
)
part_kind = st.sampled_from(
    ["Text", "Image", "Code", "Output", "Error", "Prose", "ToolCall", "ToolResult", "Reasoning"]
)
reasoning_meta = st.builds(
    lambda item, enc, sig, redacted, summary: {
        **_obj(("item_id", item), ("encrypted_content", enc), ("signature", sig),
               skip_none=("item_id", "encrypted_content", "signature")),
        **({"redacted": True} if redacted else {}),
        **({"summary": summary} if summary else {}),
    },
    opt_text, opt_text, opt_text, st.booleans(), st.lists(text, max_size=2),
)
response_meta = st.builds(
    lambda id_, status, phase: _obj(
        ("id", id_), ("status", status), ("phase", phase), skip_none=("id", "status", "phase")
    ),
    opt_text, opt_text, st.none() | st.sampled_from(["commentary", "final_answer"]),
)
tool_replay = st.builds(
    lambda item, opaque: _obj(
        ("item_id", item), ("opaque", opaque), skip_none=("item_id", "opaque")
    ),
    opt_text, opt_text,
)
_PART_OPTIONAL = ("attachment", "tool_call_id", "tool_name", "tool_replay", "reasoning_meta",
                  "response_meta")
part = st.builds(
    lambda id_, kind, content, att, call, name, replay, prune, reasoning, response: _obj(
        ("id", id_), ("kind", kind), ("content", content),
        ("attachment", None if att is None else {"reference": att}),
        ("tool_call_id", call), ("tool_name", name), ("tool_replay", replay),
        ("prune_state", prune), ("reasoning_meta", reasoning), ("response_meta", response),
        skip_none=_PART_OPTIONAL,
    ),
    text, part_kind, text, st.none() | attachment_ref, opt_text, opt_text,
    st.none() | tool_replay, prune_state, st.none() | reasoning_meta, st.none() | response_meta,
)
origin = st.builds(
    lambda plugin_id, transient: {"kind": "plugin", "plugin_id": plugin_id,
                                  **({"transient": True} if transient else {})},
    text, st.booleans(),
)
message = st.builds(
    lambda id_, role, parts, orig: _obj(
        ("id", id_), ("role", role), ("parts", parts), ("origin", orig), skip_none=("origin",)
    ),
    text, st.sampled_from(["User", "Assistant", "System"]), st.lists(part, max_size=3),
    st.none() | origin,
)
event_payload = st.one_of(
    message.map(lambda m: {"kind": "event", "event": {"Conversation": m}}),
    st.builds(
        lambda k, r: {"kind": "event", "event": {"Tool": {"Invocation": {"stable_key": k,
                                                                        "record": r}}}},
        text, tool_record,
    ),
    st.builds(
        lambda mode, payload: {"kind": "event",
                               "event": {"Mode": {"mode_id": mode, "payload": payload}}},
        text, json_value,
    ),
    st.builds(lambda t, body: {"kind": "plugin", "plugin_type": t, "body": body}, text, json_value),
)


@st.composite
def graph(draw: st.DrawFn) -> dict[str, Any]:
    """A branched DAG: each node's parent is an earlier node, none, or a dangling id."""
    count = draw(st.integers(0, 7))
    nodes = []
    for index in range(count):
        parent = draw(st.none() | st.sampled_from([f"n{j}" for j in range(index)] + ["gone"]))
        head = _obj(("node_id", f"n{index}"), ("parent_node_id", parent),
                    ("timestamp", draw(text)), skip_none=("parent_node_id",))
        nodes.append({**head, **draw(event_payload)})
    leaf = draw(st.none() | st.sampled_from([n["node_id"] for n in nodes] + ["missing"]))
    return _obj(("nodes", nodes), ("leaf_node_id", leaf), skip_none=("leaf_node_id",))


token_usage = st.builds(
    lambda a, b, c, d: {"input_tokens": a, "output_tokens": b, "cached_input_tokens": c,
                        "reasoning_tokens": d},
    i64, i64, i64, i64,
)
prompt_usage = st.builds(
    lambda a, b, c, d: {"prompt_context_tokens": a, "input_tokens": b, "cached_input_tokens": c,
                        "context_budget_tokens": d},
    u64, u64, u64, u64,
)
ledger_entry = st.builds(
    lambda s, m, u: {"source": s, "model": m, "usage": u}, text, text, token_usage
)
context_approach = st.one_of(
    st.just({"kind": "rolling_history"}),
    st.builds(
        lambda values, bps: {"kind": "observational_memory", **dict(zip(
            ["observation_message_tokens", "observation_buffer_tokens",
             "observation_block_after_tokens", "observation_max_tokens_per_batch",
             "previous_observer_tokens", "reflection_observation_tokens"], values, strict=True)),
            "reflection_buffer_activation_bps": bps, "reflection_block_after_tokens": values[-1]},
        st.lists(u64, min_size=6, max_size=6), st.integers(0, 2**16 - 1),
    ),
)
provider = st.builds(
    lambda kind, extra: _sorted({**extra, "type": kind}),
    text, st.dictionaries(key.filter(lambda k: k != "type"), json_value, max_size=3),
)
prompt_slot = st.sampled_from(
    ["intro", "execution", "guidance", "project_instructions", "runtime_context", "environment"]
)
contribution = st.builds(
    lambda slot, title, priority, tools, avail, content: {
        **_obj(("slot", slot), ("title", title), ("priority", priority), skip_none=("title",)),
        **({"gate": {"tools": tools, "minimum_availability": avail}} if tools else {}),
        "content": content,
    },
    prompt_slot, opt_text, st.integers(-(2**31), 2**31 - 1), st.lists(text, max_size=2),
    st.sampled_from(["off", "searchable", "callable", "showcased"]), text,
)
slot_layer = st.builds(
    lambda reset, contributions: {"reset": reset,
                                  **({"contributions": contributions} if contributions else {})},
    st.booleans(), st.lists(contribution, max_size=2),
)
template = st.fixed_dictionaries(
    {"sections": st.lists(st.fixed_dictionaries(
        {"title": text, "entries": st.lists(st.sampled_from(
            [{"kind": "text", "content": "x"}, {"kind": "builtin", "builtin": "tools"},
             {"kind": "slot", "slot": "intro"}]), max_size=2)}), max_size=2)}
)
prompt_layer = st.builds(
    lambda tpl, slots: _obj(("template", tpl), ("slots", _sorted(slots) or None),
                            skip_none=("template", "slots")),
    st.none() | template, st.dictionaries(prompt_slot, slot_layer, max_size=2),
).filter(bool)
policy = st.builds(
    lambda model, prov, ctx, variant, sid, auto, turns, mode, approach, prompt: _obj(
        ("model", model), ("provider", prov), ("max_context_tokens", ctx),
        ("model_variant", variant), ("session_id", sid), ("autonomous", auto),
        ("max_turns", turns), ("execution_mode", mode), ("standard_context_approach", approach),
        ("prompt", prompt), skip_none=("standard_context_approach", "prompt"),
    ),
    text, provider, st.none() | u64, opt_text, opt_text, st.booleans(), st.none() | u64, text,
    st.none() | context_approach, st.none() | prompt_layer,
)
tool_state = st.builds(
    lambda gen, tools: {"generation": gen, "tools": _sorted(
        {name: {"manifest": {"name": name, "description": d}, "source_id": s}
         for name, (d, s) in tools.items()})},
    u64, st.dictionaries(text, st.tuples(text, text), max_size=3),
)
plugin_snapshot = st.builds(
    lambda plugins: {"plugins": _sorted({
        pid: {"meta": _obj(("plugin_id", pid), ("plugin_version", v), ("revision", rev),
                           ("state", state), skip_none=("state",)),
              "artifacts": [{"name": n, "data": d} for n, d in arts]}
        for pid, (v, rev, state, arts) in plugins.items()})},
    st.dictionaries(
        text,
        st.tuples(text, u64, st.none() | json_value.filter(lambda v: v is not None),
                  st.lists(st.tuples(text, byte_array), max_size=2)),
        max_size=2,
    ),
)
opt_ref = st.none() | st.text("0123456789abcdef", min_size=1, max_size=64)


@st.composite
def persisted_state(draw: st.DrawFn) -> dict[str, Any]:
    """A whole PersistedSessionState in serde's written form."""
    ledger = draw(st.lists(ledger_entry, max_size=3))
    return _obj(
        ("session_id", draw(text)),
        ("policy", draw(policy)),
        ("session_graph", draw(graph())),
        ("turn_index", draw(u64)),
        ("token_usage", draw(token_usage)),
        ("last_prompt_usage", draw(st.none() | prompt_usage)),
        ("mode_turn_options", {"mode_id": draw(text), "payload": draw(json_value)}),
        ("tool_state_ref", draw(opt_ref)),
        ("tool_state_generation", draw(st.none() | u64)),
        ("tool_state_snapshot", draw(st.none() | tool_state)),
        ("plugin_snapshot_ref", draw(opt_ref)),
        ("plugin_snapshot_revision", draw(st.none() | u64)),
        ("plugin_snapshot", draw(st.none() | plugin_snapshot)),
        ("execution_state_ref", draw(opt_ref)),
        ("execution_state_snapshot", draw(st.none() | byte_array)),
        ("token_ledger", ledger or None),
        ("checkpoint_ref", draw(opt_ref)),
        skip_none=(
            "last_prompt_usage", "tool_state_ref", "tool_state_generation", "tool_state_snapshot",
            "plugin_snapshot_ref", "plugin_snapshot_revision", "plugin_snapshot",
            "execution_state_ref", "execution_state_snapshot", "token_ledger", "checkpoint_ref",
        ),
    )

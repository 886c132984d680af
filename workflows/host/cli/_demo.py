"""``lash-temporal demo``: a durable multi-turn session end to end, on a fresh machine, no key.

It starts a throw-away Temporal dev server (UI on), a worker in this process and a store in a
temporary directory, sends the built-in conversation (tool calls, code-mode Python, a sub-agent)
and prints each turn with the history it cost, then the usage report and the UI address.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from temporalio.client import Client

from activities.agent.tools import key_from_env_or_file
from activities.contract import TurnPolicy, shorten
from checkpoint.model import SessionUsageReport
from checkpoint.store import SessionStore, redact_url
from workflows.host.cli._access import HistoryFigures, connect_to, history_figures, open_store_at
from workflows.host.cli._chat import send_message
from workflows.host.cli._config import KEY_FILE, PROJECT_DIR, Target, store_url_for
from workflows.host.cli._dev import start_quietly, ui_url
from workflows.host.cli._errors import CliError
from workflows.host.cli._render import count, tool_names, usage_table
from workflows.host.devserver import DevServerOptions, free_port
from workflows.host.worker import StopSignal, serving

DEMO_MESSAGES = (
    "How many words are in 'durable agents on temporal'?",
    "Start a running total at 21, in Python please.",
    "Remember that I like totals, then double the total.",
    "Ask a sub-agent to summarise our conversation.",
    "Thanks, that is all.",
)
"""One message per turn of the scripted provider's built-in demo script."""
TURN_TIMEOUT = timedelta(seconds=60)
OPENAI_KEY_ENV = "OPENAI_API_KEY"
"""Where the worker's openai provider reads its key (``default_providers``' default)."""
INDENT = " " * 9


async def _tools_so_far(store: SessionStore, session_id: str) -> list[str]:
    read = await store.load_session(session_id)
    if read is None:
        return []
    return [name for m in read.graph.messages() for name in tool_names(m)]


def workflow_url(ui: str, namespace: str, workflow_id: str, run_id: str) -> str:
    """A link to the session's workflow in the Temporal UI."""
    return f"{ui}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}/{run_id}/history"


async def _play(
    client: Client, target: Target, store: SessionStore, session_id: str, policy: TurnPolicy
) -> HistoryFigures:
    """Send every demo message; print each turn with its tools and history figures."""
    seen, events, size = 0, 0, 0
    figures: HistoryFigures | None = None
    for text in DEMO_MESSAGES:
        outcome = await send_message(client, target, session_id, text, policy=policy,
                                     timeout=TURN_TIMEOUT)
        tools = await _tools_so_far(store, session_id)
        figures = await history_figures(client, target, session_id)
        print(f"turn {outcome.turn_index} · you: {text}")
        print(f"{INDENT}agent: {shorten(outcome.answer_excerpt, 200, one_line=True)}")
        print(f"{INDENT}tools: {', '.join(tools[seen:]) or 'none'}")
        print(f"{INDENT}history {count(figures.history_length)} events, "
              f"{count(figures.history_size_bytes)} bytes (this turn "
              f"+{count(figures.history_length - events)} events, "
              f"+{count(figures.history_size_bytes - size)} bytes)\n", flush=True)
        seen, events, size = len(tools), figures.history_length, figures.history_size_bytes
    assert figures is not None
    read = await store.load_session(session_id)
    report = SessionUsageReport.from_entries(list(read.token_ledger) if read else [])
    print("usage")
    print("\n".join("  " + line for line in usage_table(report)))
    return figures


async def run_demo(target: Target, *, policy: TurnPolicy, keep: bool) -> int:
    """Run the demo conversation; with ``keep``, leave the server up until Ctrl-C."""
    if policy.provider == "openai" and not os.environ.get(OPENAI_KEY_ENV, "").strip():
        raise CliError(f"demo --provider openai needs {OPENAI_KEY_ENV} in the environment "
                       "(or run the scripted demo, which needs no key)")
    # The worker runs in this process: a failed turn reaches the user as one error line, so
    # the worker's own failure logs (with tracebacks) would only repeat it.
    for name in ("temporalio.activity", "temporalio.workflow"):
        logging.getLogger(name).setLevel(logging.ERROR)
    session_id = f"demo-{secrets.token_hex(3)}"
    print("lash-temporal demo: starting a Temporal dev server (a few seconds)…", flush=True)
    with tempfile.TemporaryDirectory(prefix="lash-temporal-demo-") as tmp:
        store_url = target.store_url if target.store_given else store_url_for(Path(tmp))
        # A store of the user's keeps the key `dev` uses; a throw-away one a fresh key.
        key_dir = PROJECT_DIR if target.store_given else Path(tmp)
        ui_port = free_port()
        env = await start_quietly(
            DevServerOptions(ui=True, ui_port=ui_port, namespace=target.namespace),
            Path(tmp) / "temporal.log",
        )
        try:
            address = env.client.service_client.config.target_host
            target = Target(address, target.namespace, target.task_queue, store_url, True)
            client = await connect_to(target)
            store = await open_store_at(store_url)
            ui = ui_url(ui_port)
            try:
                key = key_from_env_or_file(key_dir / KEY_FILE)
                async with serving(client, store, task_queue=target.task_queue,
                                   execution_state_key=key):
                    print(f"Temporal {address} · UI {ui} · store {redact_url(store_url)}\n"
                          f"session {session_id} (provider {policy.provider}, model "
                          f"{policy.model})\n", flush=True)
                    figures = await _play(client, target, store, session_id, policy)
                    link = workflow_url(ui, target.namespace, figures.workflow_id, figures.run_id)
                    print(f"\nTemporal UI: {ui}\nthis session: {link}")
                    if keep:
                        with StopSignal() as stop:
                            print("lash-temporal demo: the dev server stays up; Ctrl-C stops it",
                                  flush=True)
                            await stop.wait()
                    else:
                        print("(the dev server stops now; `lash-temporal demo --keep` keeps it "
                              "running to browse the UI)", flush=True)
            finally:
                await store.close()
        finally:
            await env.shutdown()
    return 0

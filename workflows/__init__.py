"""Deterministic orchestration: the session workflow, its public contract and the plugins.

The sandbox line is visible in the layout:

- ``workflows.contract``: the workflow's inputs, outputs and query answers (public, pure);
- ``workflows.session``: ``SessionWorkflow``, the code Temporal's sandbox runs;
- ``workflows.sandbox``: the pure helpers it uses, passed through the sandbox whole;
- ``workflows.plugin``: ``LashPlugin`` (client side: data converter, sandbox and failure rules)
  and ``LashWorkerPlugin`` (worker side: registers the workflow and activities over a store);
- ``workflows.payloads``: the External Storage driver that carries large payloads (long
  messages) by reference through the checkpoint store, used by both plugins;
- ``workflows.host``: what runs outside any workflow: the client, the worker runner
  (``python -m workflows.host.worker``), the bundled dev server and the ``lash-temporal`` CLI.

Importing this package imports only the contract; the plugins and the workflow load on first
use (``from workflows import LashPlugin``), so a client script or the sandbox never pays for the
worker side. ``spec §N`` in docstrings is section N of docs/spec/lash-domain.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflows.contract import (
    ChildSession,
    RootSession,
    SendInput,
    SessionCarry,
    SessionEnd,
    SessionInput,
    SessionSummary,
    StartEmpty,
    StartFromCarry,
    StartFromSnapshot,
    TurnTimeouts,
    workflow_id,
)

if TYPE_CHECKING:
    from workflows.plugin import LashPlugin, LashWorkerPlugin
    from workflows.session import SessionWorkflow

_LAZY = {
    "LashPlugin": "workflows.plugin",
    "LashWorkerPlugin": "workflows.plugin",
    "SessionWorkflow": "workflows.session",
}


def __getattr__(name: str) -> Any:
    """The plugins and the workflow class, imported when first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'workflows' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "ChildSession",
    "LashPlugin",
    "LashWorkerPlugin",
    "RootSession",
    "SendInput",
    "SessionCarry",
    "SessionEnd",
    "SessionInput",
    "SessionSummary",
    "SessionWorkflow",
    "StartEmpty",
    "StartFromCarry",
    "StartFromSnapshot",
    "TurnTimeouts",
    "workflow_id",
]

"""Deterministic orchestration: the session workflow, the Temporal plugin and the CLI.

``SessionWorkflow`` runs one agent session. ``LashPlugin`` (client side) transforms the data
converter and sets the sandbox and failure rules for clients, workers and replayers;
``LashWorkerPlugin`` (worker side) registers the workflow and activities over a store. Runnable
pieces live in their own modules: ``workflows.devserver`` (the bundled dev server),
``workflows.worker`` (the one worker runner: ``python -m workflows.worker`` and
``lash-temporal worker``) and ``workflows.client`` (send a message with update-with-start).
``spec §N`` in docstrings is section N of docs/spec/lash-domain.md.
"""

from workflows._inputs import (
    CarryStart,
    ChildRelation,
    EmptyStart,
    RootRelation,
    SendInput,
    SessionCarry,
    SessionEnd,
    SessionInput,
    SessionSummary,
    SnapshotStart,
    TurnTimeouts,
    workflow_id,
)
from workflows.plugin import LashPlugin, LashWorkerPlugin
from workflows.session import SessionWorkflow

__all__ = [
    "CarryStart",
    "ChildRelation",
    "EmptyStart",
    "LashPlugin",
    "LashWorkerPlugin",
    "RootRelation",
    "SendInput",
    "SessionCarry",
    "SessionEnd",
    "SessionInput",
    "SessionSummary",
    "SessionWorkflow",
    "SnapshotStart",
    "TurnTimeouts",
    "workflow_id",
]

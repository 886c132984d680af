"""Deterministic orchestration: the session workflow, the Temporal plugin and the CLI.

``SessionWorkflow`` runs one agent session; ``LashPlugin`` wires converter, sandbox and
registrations into clients, workers and replayers. Runnable pieces live in their own modules:
``workflows.devserver`` (the bundled dev server), ``workflows.worker`` (``python -m
workflows.worker``) and ``workflows.client`` (send a message with update-with-start).
``spec §N`` in docstrings is section N of docs/spec/lash-domain.md.
"""

from workflows._inputs import (
    MAX_SEND_BYTES,
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
from workflows.plugin import LashPlugin
from workflows.session import SessionWorkflow

__all__ = [
    "MAX_SEND_BYTES",
    "CarryStart",
    "ChildRelation",
    "EmptyStart",
    "LashPlugin",
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

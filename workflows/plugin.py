"""The one Temporal plugin for lash-temporal: converter, sandbox, registrations, failure rules.

Give it to the client (``Client.connect(..., plugins=[LashPlugin()])``) and to the worker with the
turn activities (``LashPlugin(turn_activities)``, which also registers the read-only
``load_session_head`` activity over the same store); the replayer takes it without activities. A
worker built on a client that has the plugin already needs only the activities
(``worker_activities``): the client's plugin configures the worker too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import ValidationError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.plugin import SimplePlugin
from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.session_head import SessionHeadActivities
from checkpoint.errors import LashError
from workflows._interceptor import FailFastInterceptor
from workflows.session import SessionWorkflow

if TYPE_CHECKING:
    from temporalio.client import Client

    from checkpoint.store import SessionStore

PLUGIN_NAME = "lash-temporal"
T = TypeVar("T")

SANDBOX_PASSTHROUGH = (
    # The session model: pure pydantic classes with no I/O. Passing them through keeps one class
    # per type (the activity and the workflow see the same TurnOutcome) and avoids rebuilding
    # pydantic schemas in every workflow run's fresh sandbox.
    "checkpoint",
    # Only activities.contract is imported by workflow code; the package is passed through whole
    # so its __init__ (which may import the store and providers) never runs inside the sandbox.
    "activities",
    # checkpoint.blobs hashes msgpack encodings; a C extension is loaded once, outside.
    "msgpack",
    # Our own pure helpers for the workflow (input models, sub-agent shaping, UI text, ledger,
    # retry rules, search attribute keys). Passed through by name, not only by the
    # imports_passed_through() block, so that every module that imports workflows._inputs sees
    # the same classes: a second copy made inside the sandbox fails pydantic's isinstance checks.
    "workflows._inputs",
    "workflows._children",
    "workflows._details",
    "workflows._ledger",
    "workflows._errors",
    "workflows._search",
)
"""Modules the workflow sandbox imports from the host instead of re-importing per run. pydantic,
pydantic_core and annotated_types are passed through by temporalio's defaults already."""

WORKFLOW_FAILURE_TYPES: tuple[type[BaseException], ...] = (
    # Raised by workflow code on a request it cannot serve: fail that update or workflow with a
    # clear message instead of failing the workflow task and retrying it forever.
    LashError,
    # A model built in workflow code (a child's input, a carry) that does not validate.
    ValidationError,
)


class _HasRunTurn(Protocol):
    """What the plugin needs from ``activities.turn.TurnActivities``."""

    @property
    def store(self) -> SessionStore: ...

    @property
    def run_turn(self) -> Callable[..., Any]: ...


def worker_activities(turn_activities: _HasRunTurn) -> list[Callable[..., Any]]:
    """The activities a session worker registers: the turn, and the head load over its store."""
    return [
        turn_activities.run_turn,
        SessionHeadActivities(turn_activities.store).load_session_head,
    ]


def client_has_plugin(client: Client) -> bool:
    """Whether ``client`` carries a LashPlugin, which then configures its workers as well."""
    return any(isinstance(p, LashPlugin) for p in client.config().get("plugins", []))


def _with_passthrough(runner: WorkflowRunner | None) -> WorkflowRunner:
    """Add our passthrough modules to the sandbox runner the worker would use."""
    runner = runner or SandboxedWorkflowRunner()
    if isinstance(runner, SandboxedWorkflowRunner):
        return dataclasses.replace(
            runner,
            restrictions=runner.restrictions.with_passthrough_modules(*SANDBOX_PASSTHROUGH),
        )
    return runner


def _append_missing(ours: Sequence[T]) -> Callable[[Sequence[T] | None], Sequence[T]]:
    """Append our registrations unless present: a worker built on a client that already has
    this plugin applies it twice, and Temporal refuses a workflow registered twice."""

    def resolve(existing: Sequence[T] | None) -> Sequence[T]:
        current = list(existing or [])
        return current + [item for item in ours if item not in current]

    return resolve


class LashPlugin(SimplePlugin):
    """Plain-JSON payloads, the session workflow, the turn activity and their failure rules."""

    def __init__(
        self,
        turn_activities: _HasRunTurn | None = None,
        *,
        extra_activities: Sequence[Callable[..., Any]] = (),
        extra_workflows: Sequence[type] = (),
    ) -> None:
        activities = worker_activities(turn_activities) if turn_activities is not None else []
        super().__init__(
            PLUGIN_NAME,
            data_converter=pydantic_data_converter,
            activities=_append_missing([*activities, *extra_activities]),
            workflows=_append_missing([SessionWorkflow, *extra_workflows]),
            workflow_runner=_with_passthrough,
            workflow_failure_exception_types=list(WORKFLOW_FAILURE_TYPES),
            interceptors=[FailFastInterceptor()],
        )


__all__ = [
    "PLUGIN_NAME",
    "SANDBOX_PASSTHROUGH",
    "WORKFLOW_FAILURE_TYPES",
    "LashPlugin",
    "client_has_plugin",
    "worker_activities",
]

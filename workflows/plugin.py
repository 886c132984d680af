"""The Temporal plugins of lash-temporal, split by role as the SDK's own plugins are.

- ``LashPlugin`` goes on the client (and a client's plugins configure its workers and replayers
  too). It *transforms* the data converter: pydantic's plain-JSON payload converter replaces the
  payload converter, while the user's payload codec, failure converter and external storage stay;
  without external storage of the user's, large payloads travel by reference through the
  checkpoint store (``workflows.payloads``; ``store=`` gives the client one).
  It also owns the sandbox passthrough list, the errors that fail a workflow instead of retrying
  its task, and the interceptor that makes deterministic activity errors non-retryable.
- ``LashWorkerPlugin`` goes on a worker: it registers ``SessionWorkflow`` and the turn and
  head-load activities over the worker's store, providers and signing key, so credentials stay
  in worker objects and never travel in inputs or history. It gives the worker a client whose
  large payloads travel through that store, since a worker converts payloads with its client's
  converter.

``workflows.host.worker.build_worker`` combines them; a replayer takes
``Replayer(workflows=[SessionWorkflow], plugins=[LashPlugin()])``.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import TYPE_CHECKING

from pydantic import ValidationError
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import DataConverter, DefaultPayloadConverter
from temporalio.plugin import SimplePlugin
from temporalio.worker import WorkerConfig, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.agent.providers import ProviderRegistry, default_providers
from activities.agent.tools import ToolCatalog
from activities.rewind import RewindActivities
from activities.session_head import SessionHeadActivities
from activities.turn import TurnActivities
from checkpoint.errors import LashError
from workflows._interceptor import FailFastInterceptor
from workflows.payloads import PayloadSource, with_payload_source, with_payload_store
from workflows.session import SessionWorkflow

if TYPE_CHECKING:
    from temporalio.client import Client

    from checkpoint.store import SessionStore

PLUGIN_NAME = "lash-temporal"
WORKER_PLUGIN_NAME = "lash-temporal.worker"

SANDBOX_PASSTHROUGH = (
    # The session model: pure pydantic classes with no I/O. Passing them through keeps one class
    # per type (the activity and the workflow see the same TurnOutcome) and avoids rebuilding
    # pydantic schemas in every workflow run's fresh sandbox.
    "checkpoint",
    # Workflow code imports activities.contract (and activities.failures for retry names); the
    # package is passed through whole so its implementation modules, if anything imports them,
    # never load inside the sandbox.
    "activities",
    # checkpoint.blobs hashes msgpack encodings; a C extension is loaded once, outside.
    "msgpack",
    # The workflow's public contract and its pure helpers, passed through whole rather than only
    # by the imports_passed_through() block, so every module that imports them sees the same
    # classes: a second copy made inside the sandbox fails pydantic's isinstance checks.
    "workflows.contract",
    "workflows.sandbox",
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


def _data_converter(existing: DataConverter | None, store: PayloadSource | None) -> DataConverter:
    """The client's converter with pydantic's payload converter and, unless it has external
    storage already, lash's over ``store``; codec and the rest kept."""
    converter = _pydantic_converter(existing)
    if converter.external_storage is not None:
        return converter
    return with_payload_source(converter, store)


def _pydantic_converter(existing: DataConverter | None) -> DataConverter:
    """The client's converter with pydantic's payload converter; codec and the rest kept."""
    if existing is None:
        return pydantic_data_converter
    if issubclass(existing.payload_converter_class, PydanticPayloadConverter):
        return existing
    if existing.payload_converter_class is not DefaultPayloadConverter:
        warnings.warn(
            f"LashPlugin replaces the payload converter {existing.payload_converter_class.__name__}"
            " with PydanticPayloadConverter (session payloads are pydantic models as plain JSON);"
            " subclass PydanticPayloadConverter to keep yours",
            stacklevel=2,
        )
    return dataclasses.replace(existing, payload_converter_class=PydanticPayloadConverter)


def _workflow_runner(runner: WorkflowRunner | None) -> WorkflowRunner:
    """Add our passthrough modules to the sandbox runner the worker would use."""
    runner = runner or SandboxedWorkflowRunner()
    if isinstance(runner, SandboxedWorkflowRunner):
        return dataclasses.replace(
            runner,
            restrictions=runner.restrictions.with_passthrough_modules(*SANDBOX_PASSTHROUGH),
        )
    return runner


class LashPlugin(SimplePlugin):
    """Client-side: plain-JSON payloads (keeping the user's codec), large payloads by reference
    through ``store`` (a store, or an opener called when a payload first needs it; None: inline
    up to ``workflows.payloads.INLINE_MAX``), sandbox, failure rules."""

    def __init__(self, *, store: PayloadSource | None = None) -> None:
        super().__init__(
            PLUGIN_NAME,
            data_converter=lambda existing: _data_converter(existing, store),
            workflow_runner=_workflow_runner,
            workflow_failure_exception_types=list(WORKFLOW_FAILURE_TYPES),
            interceptors=[FailFastInterceptor()],
        )


class LashWorkerPlugin(SimplePlugin):
    """Worker-side: the session workflow, and the turn and head-load activities over ``store``.

    ``providers`` defaults to the environment's (``default_providers``); ``tools`` to the
    built-ins (``default_tools()``); ``execution_state_key`` signs code-mode interpreter state,
    None reads it from LASH_EXECUTION_STATE_KEY (and refuses to build without one).
    """

    def __init__(
        self,
        store: SessionStore,
        *,
        providers: ProviderRegistry | None = None,
        tools: ToolCatalog | None = None,
        execution_state_key: bytes | None = None,
    ) -> None:
        self._store = store
        turns = TurnActivities(
            store,
            providers=providers or default_providers(),
            tools=tools,
            execution_state_key=execution_state_key,
        )
        super().__init__(
            WORKER_PLUGIN_NAME,
            workflows=[SessionWorkflow],
            activities=[
                turns.run_turn,
                SessionHeadActivities(store).load_session_head,
                RewindActivities(store).rewind_session,
            ],
        )

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Also swap in a client whose large payloads travel through this worker's store."""
        config = super().configure_worker(config)
        config["client"] = with_payload_store(config["client"], self._store)
        return config


def client_has_plugin(client: Client) -> bool:
    """Whether ``client`` carries a LashPlugin, which then configures its workers as well."""
    return any(isinstance(p, LashPlugin) for p in client.config().get("plugins", []))


__all__ = [
    "PLUGIN_NAME",
    "SANDBOX_PASSTHROUGH",
    "WORKER_PLUGIN_NAME",
    "WORKFLOW_FAILURE_TYPES",
    "LashPlugin",
    "LashWorkerPlugin",
    "client_has_plugin",
]

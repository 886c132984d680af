"""Every error lash-temporal raises on purpose, under one root.

Each error carries its context (session id, ref, revision) as attributes, so a caller can act on
it and the CLI can print it as one clear line. Pydantic's ``ValidationError`` stays as it is for
bad JSON (it already names the path); everything else is below. Each error says whether another
attempt could succeed (``retryable``, a class attribute; ``*`` marks the ones that say no, with
their subclasses); ``is_retryable`` is the one rule every translator into Temporal's failures
asks, and it also classifies the few foreign errors that come out the same on every attempt::

    LashError
    ├── ModelError *                a rule of the session model was broken
    │   ├── LedgerRegressionError   diff_token_ledger saw a component go down
    │   ├── ResumeSafetyError       messages not safe to persist mid-turn (spec §4)
    │   ├── GraphCycleError         parent links loop; a session graph must be a DAG
    │   └── ToolStateGenerationMismatch   apply_state with a stale generation (§8.2)
    ├── StoreError                  the checkpoint store refused or failed
    │   ├── StoreUnavailableError   cannot open or reach the store (bad URL, server down)
    │   ├── SessionNotFoundError    no head for that session id
    │   ├── NodeNotFoundError       no stored node with that id (e.g. a history leaf)
    │   ├── SessionBindingMismatch * a commit for another session than the one bound
    │   ├── HeadRevisionConflict    optimistic concurrency lost: expected != actual
    │   ├── OperationConflictError * an operation id reused with a different payload
    │   ├── NodeConflictError *     an appended node id exists with other content
    │   ├── NodeCorruptError *      a stored node row is not a valid node (named at load)
    │   ├── BlobError *             a content-addressed blob cannot be used
    │   │   ├── BlobMissingError    no blob stored under that ref
    │   │   └── BlobCorruptError    bytes do not hash to their ref, or do not decode
    │   └── BackendError            the database driver failed (wrapped, cause kept)
    ├── ExecutionStateError *       pickled interpreter state unsigned or tampered with
    ├── ProviderError               a model call failed; its ``retryable`` is set per instance
    ├── ContractError *             a request no retry can fix (fails without retrying)
    │   └── PromptTooLargeError     the turn's own messages alone exceed the context window
    ├── ConfigError                 the worker lacks a setting it cannot run safely without
    │
    │   defined beside the commands that raise them, since checkpoint/ cannot import them:
    ├── DevServerError              workflows.host.devserver: the bundled dev server won't start
    ├── TemporalUnavailableError    workflows.host.worker: the Temporal frontend does not answer
    └── CliError                    workflows.host.cli: an expected CLI failure, printed as one line
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError


class LashError(Exception):
    """Root of every error lash-temporal raises deliberately."""

    retryable: bool = True
    """Whether another attempt with the same input could succeed (a server back, a head reloaded).
    Subclasses whose failure comes out the same on every attempt set it False."""


class ModelError(LashError):
    """A rule of the session model (spec §1-§9) was broken by the caller."""

    retryable = False


class LedgerRegressionError(ModelError):
    """A usage component went down between two ledgers, which a ledger never does (spec §6)."""

    def __init__(self, source: str, model: str, component: str, before: int, after: int) -> None:
        self.source, self.model, self.component = source, model, component
        self.before, self.after = before, after
        super().__init__(
            f"token ledger went backwards for ({source!r}, {model!r}): "
            f"{component} {before} -> {after}"
        )


class ResumeSafetyError(ModelError):
    """Messages that a resumed prompt could not replay (spec §4) were about to be persisted."""


class GraphCycleError(ModelError):
    """Parent links loop back on themselves; a session graph must be a DAG."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        super().__init__(f"session graph has a parent cycle through node {node_id!r}")


class ToolStateGenerationMismatch(ModelError):
    """``apply_state`` got a snapshot whose generation is not the live registry's."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected, self.actual = expected, actual
        super().__init__(
            f"tool state generation mismatch: snapshot has {expected}, registry is at {actual}"
        )


class StoreError(LashError):
    """The checkpoint store refused an operation or could not complete it."""

    def __init__(self, message: str, *, session_id: str | None = None) -> None:
        self.session_id = session_id
        super().__init__(message)


class StoreUnavailableError(StoreError):
    """The store URL is malformed or its server cannot be reached."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(f"store {url!r} is unavailable: {reason}")


class SessionNotFoundError(StoreError):
    """No session head exists under this id."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session {session_id!r} in the store", session_id=session_id)


class NodeNotFoundError(StoreError):
    """No node with this id is stored for the session (asked for by id, e.g. a history leaf)."""

    def __init__(self, session_id: str, node_id: str) -> None:
        self.node_id = node_id
        super().__init__(
            f"session {session_id!r} has no stored node {node_id!r}", session_id=session_id
        )


class SessionBindingMismatch(StoreError):
    """A session-bound store was asked to write another session (spec §12.1)."""

    retryable = False

    def __init__(self, bound: str, attempted: str) -> None:
        self.bound, self.attempted = bound, attempted
        super().__init__(
            f"store is bound to session `{bound}`, refused a commit for `{attempted}`",
            session_id=attempted,
        )


class HeadRevisionConflict(StoreError):
    """Another writer moved the head first; reload and retry on top of it (so retryable)."""

    def __init__(self, session_id: str, expected: int | None, actual: int) -> None:
        self.expected, self.actual = expected, actual
        super().__init__(
            f"session {session_id!r}: head revision conflict "
            f"(expected {expected}, actual {actual})",
            session_id=session_id,
        )


class OperationConflictError(StoreError):
    """An operation id that already landed came back with a different payload; a retry would
    send the same payload again."""

    retryable = False

    def __init__(self, session_id: str, operation_id: str) -> None:
        self.operation_id = operation_id
        super().__init__(
            f"session {session_id!r}: operation {operation_id!r} already committed "
            "with a different payload",
            session_id=session_id,
        )


class NodeConflictError(StoreError):
    """An appended node id is already stored with different content; nodes are immutable."""

    retryable = False

    def __init__(self, session_id: str, node_id: str) -> None:
        self.node_id = node_id
        super().__init__(
            f"session {session_id!r}: node {node_id!r} already exists with different content",
            session_id=session_id,
        )


class NodeCorruptError(StoreError):
    """A stored node row does not read back as a node (bad JSON, a value of the wrong type, an
    unknown variant): the store wrote canonical nodes, so the row was damaged afterwards, and
    no retry repairs it. ``node_id`` is None when the row is too damaged to name one."""

    retryable = False

    def __init__(self, session_id: str, row: int, node_id: str | None, reason: str) -> None:
        self.row, self.node_id, self.reason = row, node_id, reason
        where = f"position {row} of the nodes read"  # the read's order, not a database key
        named = f"node {node_id!r} ({where})" if node_id is not None else f"node at {where}"
        super().__init__(
            f"session {session_id!r}: stored {named} is damaged: {reason}",
            session_id=session_id,
        )


class BlobError(StoreError):
    """A content-addressed blob cannot be used; the message names its ref. Content addressing
    makes a missing or damaged blob permanent: no retry brings it back."""

    retryable = False

    def __init__(self, ref: str, message: str) -> None:
        self.ref = ref
        super().__init__(message)


class BlobMissingError(BlobError):
    """Nothing is stored under this ref (never a silent None)."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref, f"blob {ref} is missing from the store")


class BlobCorruptError(BlobError):
    """The stored bytes no longer hash to their ref, or cannot be decoded."""

    def __init__(self, ref: str, reason: str) -> None:
        self.reason = reason
        super().__init__(ref, f"blob {ref} is damaged: {reason}")


class BackendError(StoreError):
    """The database driver failed; the original exception is chained as __cause__."""


class ExecutionStateError(LashError):
    """Pickled execution state was refused: unsigned, or its signature does not match."""

    retryable = False


class ProviderError(LashError):
    """A model provider call failed; ``retryable`` says whether another attempt could succeed."""

    def __init__(self, provider: str, message: str, *, retryable: bool) -> None:
        self.provider, self.retryable = provider, retryable
        super().__init__(f"provider {provider!r}: {message}")


class ContractError(LashError):
    """A request that a workflow or activity cannot accept; retrying would not help."""

    retryable = False


class PromptTooLargeError(ContractError):
    """What a model call cannot leave out (system prompt, the turn's user message, the newest
    tool round, the tools and the reply reserve) exceeds the context window; every figure is
    in estimated tokens."""

    def __init__(self, window: int, parts: dict[str, int]) -> None:
        self.window, self.parts = window, dict(parts)
        total = sum(parts.values())
        listed = " + ".join(f"{name} {size:,}" for name, size in parts.items())
        super().__init__(
            f"the prompt needs {total:,} tokens but the context window is {window:,}: {listed} "
            "(estimated tokens; send a shorter message or raise max_context_tokens)"
        )


class ConfigError(LashError):
    """The worker lacks a setting it cannot run safely without (e.g. its signing key)."""


FOREIGN_DETERMINISTIC: tuple[type[Exception], ...] = (
    # Input that does not validate never will.
    ValidationError,
    # State a value JSON or MessagePack cannot carry fails the same way on every attempt.
    PydanticSerializationError,
    UnicodeError,
)
"""Errors not ours that come out the same on every attempt (with their subclasses)."""


def is_retryable(err: BaseException) -> bool:
    """Whether another attempt with the same input could succeed: a ``LashError`` says so
    itself; a foreign error is retryable unless it is one of ``FOREIGN_DETERMINISTIC``."""
    if isinstance(err, LashError):
        return err.retryable
    return not isinstance(err, FOREIGN_DETERMINISTIC)



"""One owner for "retry or not": each error says it, one translator tells Temporal."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError
from temporalio.exceptions import ApplicationError

from activities.failures import NON_RETRYABLE_ERROR_TYPES, to_application_error
from checkpoint.errors import (
    BlobMissingError,
    ConfigError,
    HeadRevisionConflict,
    PromptTooLargeError,
    ProviderError,
    StoreUnavailableError,
    is_retryable,
)


class _Model(BaseModel):
    n: int


def _validation_error() -> ValidationError:
    with pytest.raises(ValidationError) as info:
        _Model.model_validate({"n": "x"})
    return info.value


@pytest.mark.parametrize(
    "err",
    [
        BlobMissingError("ab"),
        PromptTooLargeError(10, {"system": 20}),
        ProviderError("openai", "bad key", retryable=False),
        UnicodeError("bad"),
    ],
)
def test_a_final_error_becomes_a_non_retryable_application_error(err: Exception) -> None:
    """The translator keeps the type name and the message, with the caller's context first."""
    failure = to_application_error(err, "turn 3")
    assert failure is not None and failure.non_retryable
    assert failure.type == type(err).__name__ and failure.message.startswith("turn 3: ")


@pytest.mark.parametrize(
    "err",
    [
        HeadRevisionConflict("s", 1, 2),
        StoreUnavailableError("sqlite:x", "down"),
        ProviderError("openai", "HTTP 503", retryable=True),
        ConfigError("no key"),
        RuntimeError("worker bug"),
        ApplicationError("already translated", non_retryable=True),
    ],
)
def test_a_retryable_error_is_left_as_it_is(err: Exception) -> None:
    """Retryable errors (and ApplicationErrors, already Temporal's) are not translated."""
    assert to_application_error(err) is None


def test_foreign_deterministic_errors_are_classified_in_one_place() -> None:
    """pydantic's ValidationError is final; the RetryPolicy names only what no code translates."""
    assert not is_retryable(_validation_error())
    assert set(NON_RETRYABLE_ERROR_TYPES) == {"PayloadsTooLarge", "PayloadSizeError"}

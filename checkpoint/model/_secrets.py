"""Provider credentials never leave a worker (DESIGN "Determinism and secrets", spec §16.4).

``model_dump`` stays serde-exact and so still writes ``provider.api_key``. Whatever puts a policy
or a state into workflow input, history, a blob, a log or any output goes through
:func:`redact_policy` / :func:`redacted_state` first; that is the one way a state leaves a worker.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from ._policy import SessionPolicy
from ._state import PersistedSessionState

_SECRET_WORDS = frozenset(
    {"secret", "token", "password", "passwd", "authorization", "credential", "credentials",
     "apikey", "bearer", "cookie"}
)
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def is_secret_key(key: str) -> bool:
    """True for ``api_key`` and keys whose words name a secret, token, password or authorization.

    Words, not substrings: ``access_token``, ``x-api-key``, ``clientSecret`` and
    ``Authorization`` are secret; ``max_tokens`` is not.
    """
    words = [w.lower() for w in _WORD.findall(key)]
    if any(w in _SECRET_WORDS for w in words):
        return True
    return any(a == "api" and b == "key" for a, b in pairwise(words))


def _strip(value: Any) -> Any:
    if type(value) is dict:
        return {k: _strip(v) for k, v in value.items() if not is_secret_key(k)}
    if type(value) is list:
        return [_strip(item) for item in value]
    return value


def redact_policy(policy: SessionPolicy) -> SessionPolicy:
    """A copy of ``policy`` whose provider config has every credential key removed (at any depth).

    The provider ``type`` stays, so a worker can rebuild the provider from its own configuration.
    """
    redacted = policy.model_copy(deep=True)
    redacted.provider = _strip(redacted.provider)
    return redacted


def redacted_state(state: PersistedSessionState) -> PersistedSessionState:
    """A deep copy of ``state`` with its policy redacted (head revision and flags kept)."""
    copy = state.model_copy(deep=True)
    copy.policy = redact_policy(state.policy)
    return copy

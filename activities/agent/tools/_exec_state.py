"""Signed execution state: interpreter globals are pickled, then HMAC-SHA256 signed.

Unpickling runs code, so bytes from the store are only unpickled after their signature checks
out against the worker's key. The key comes from worker configuration (env
LASH_EXECUTION_STATE_KEY). ``DEV_KEY`` exists so a demo runs without setup; it is public and
therefore UNSAFE: anyone who can write to the store can forge state signed with it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from typing import Any

import cloudpickle

from checkpoint.errors import ExecutionStateError

MAGIC = b"lash-exec-v1\x00"
DEV_KEY = b"lash-temporal-dev-key-UNSAFE-do-not-use-in-production"
KEY_ENV = "LASH_EXECUTION_STATE_KEY"
_MAC_LEN = hashlib.sha256().digest_size
_log = logging.getLogger(__name__)


def key_from_env() -> bytes:
    """The worker's signing key; falls back to the public dev key with a warning."""
    value = os.environ.get(KEY_ENV)
    if value:
        return value.encode()
    _log.warning("%s is not set: execution state is signed with the public dev key", KEY_ENV)
    return DEV_KEY


def sign(payload: bytes, key: bytes) -> bytes:
    """``MAGIC + HMAC-SHA256(key, MAGIC + payload) + payload``."""
    mac = hmac.new(key, MAGIC + payload, hashlib.sha256).digest()
    return MAGIC + mac + payload


def verify(blob: bytes, key: bytes) -> bytes:
    """The payload of a signed blob; ExecutionStateError when unsigned or tampered with."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + _MAC_LEN:
        raise ExecutionStateError(
            "execution state is not signed by lash-temporal; refusing to unpickle it"
        )
    mac = blob[len(MAGIC) : len(MAGIC) + _MAC_LEN]
    payload = blob[len(MAGIC) + _MAC_LEN :]
    expected = hmac.new(key, MAGIC + payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise ExecutionStateError(
            "execution state signature does not match this worker's key "
            f"({KEY_ENV}); it was tampered with or signed with another key"
        )
    return payload


def dump_signed(values: dict[str, Any], key: bytes) -> bytes:
    """Pickle ``values`` with cloudpickle and sign the bytes."""
    return sign(cloudpickle.dumps(values), key)


def load_signed(blob: bytes, key: bytes) -> dict[str, Any]:
    """Verify, then unpickle; nothing is unpickled unless the signature matches."""
    payload = verify(blob, key)
    try:
        values = cloudpickle.loads(payload)
    except Exception as exc:
        raise ExecutionStateError(f"signed execution state does not unpickle: {exc!r}") from exc
    if not isinstance(values, dict):
        raise ExecutionStateError("signed execution state is not a globals mapping")
    return values

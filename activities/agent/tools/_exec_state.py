"""Signed execution state: interpreter globals are pickled, then HMAC-SHA256 signed.

Unpickling runs code, so bytes from the store are only unpickled after their signature checks
out against the worker's key. The key comes from worker configuration (env
LASH_EXECUTION_STATE_KEY); a worker without one refuses to start, because a key anyone knows
would let anyone who can write to the store run code on the worker. Local stacks (``lash-temporal
dev``) keep a random key in a file of their own (``load_or_create_key``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

import cloudpickle

from checkpoint.errors import ConfigError, ExecutionStateError

MAGIC = b"lash-exec-v1\x00"
KEY_ENV = "LASH_EXECUTION_STATE_KEY"
MIN_KEY_BYTES = 16
_MAC_LEN = hashlib.sha256().digest_size


def key_from_env() -> bytes:
    """The worker's signing key from LASH_EXECUTION_STATE_KEY; a ConfigError if it is unset
    or too short to be a secret."""
    value = os.environ.get(KEY_ENV, "")
    if len(value.encode()) < MIN_KEY_BYTES:
        problem = "is not set" if not value else f"is shorter than {MIN_KEY_BYTES} bytes"
        raise ConfigError(
            f"{KEY_ENV} {problem}: it signs code-mode interpreter state, and a worker without "
            "a secret key would unpickle whatever anyone who can write to the store put there. "
            "Set the same random value on every worker, e.g. "
            "`export LASH_EXECUTION_STATE_KEY=$(python3 -c 'import secrets; "
            "print(secrets.token_hex(32))')`"
        )
    return value.encode()


def key_from_env_or_file(path: Path) -> bytes:
    """LASH_EXECUTION_STATE_KEY if set, else the local stack's key file (made on first use)."""
    return key_from_env() if os.environ.get(KEY_ENV) else load_or_create_key(path)


def load_or_create_key(path: Path) -> bytes:
    """A random signing key kept in ``path`` (owner-only), for a local stack that must keep
    reading its own state across restarts."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key + b"\n")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"the signing key in {path} is shorter than {MIN_KEY_BYTES} bytes")
    return key


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

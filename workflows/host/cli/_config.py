"""Where the CLI connects: flags first, then environment variables, then the local defaults.

The defaults match ``lash-temporal dev`` (frontend 127.0.0.1:7233, store in ``.lash-temporal/``),
so on one machine every command finds the dev stack without a flag.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from workflows.host.client import DEFAULT_TARGET, DEFAULT_TASK_QUEUE

PROG = "lash-temporal"
ADDRESS_ENV = "LASH_TEMPORAL_ADDRESS"
STORE_ENV = "LASH_TEMPORAL_STORE"
NAMESPACE_ENV = "LASH_TEMPORAL_NAMESPACE"
TASK_QUEUE_ENV = "LASH_TEMPORAL_TASK_QUEUE"

DEFAULT_ADDRESS = DEFAULT_TARGET
DEFAULT_NAMESPACE = "default"
DEFAULT_QUEUE = DEFAULT_TASK_QUEUE
PROJECT_DIR = Path(".lash-temporal")
"""The dev stack's home: Temporal's database file and the SQLite store (git-ignored)."""
KEY_FILE = "execution-state.key"
"""Where a local stack keeps its random signing key when LASH_EXECUTION_STATE_KEY is unset."""
DEFAULT_UI_PORT = 8233
DEFAULT_LAST_TURNS = 20
"""Turns of the active path that text ``show`` prints unless told ``--all`` or ``--last N``."""
BRANCH_MESSAGES = 4
"""Messages of each branch off the active path that ``show`` prints or draws unless told
``--all`` (the old turns a rewind leaves are one branch, however many there were)."""

PROVIDERS = ("echo", "scripted", "openai")
"""``echo`` answers what it is told (chat's default), ``scripted`` plays the demo script (the
demo's), ``openai`` is a real model; the first two need no key."""
DEFAULT_MODELS = {"echo": "echo", "scripted": "scripted-demo", "openai": "gpt-4o-mini"}
OPENAI_MODEL_ENV = "OPENAI_MODEL"


def store_url_for(directory: Path) -> str:
    """The SQLite store URL inside a project directory."""
    # sqlite:/// + the path: relative stays relative, /absolute gets the fourth slash.
    return f"sqlite:///{directory / 'store.db'}"


DEFAULT_STORE = store_url_for(PROJECT_DIR)


@dataclass(frozen=True)
class Target:
    """The Temporal frontend, namespace, task queue and store one command talks to."""

    address: str
    namespace: str
    task_queue: str
    store_url: str
    store_given: bool
    """True when the store came from ``--store`` or the environment, not the default."""


def resolve_target(
    address: str | None, namespace: str | None, task_queue: str | None, store: str | None
) -> Target:
    """Flags win over the environment, which wins over the defaults."""
    env_store = os.environ.get(STORE_ENV, "").strip() or None
    return Target(
        address=address or os.environ.get(ADDRESS_ENV, "").strip() or DEFAULT_ADDRESS,
        namespace=namespace or os.environ.get(NAMESPACE_ENV, "").strip() or DEFAULT_NAMESPACE,
        task_queue=task_queue or os.environ.get(TASK_QUEUE_ENV, "").strip() or DEFAULT_QUEUE,
        store_url=store or env_store or DEFAULT_STORE,
        store_given=bool(store or env_store),
    )


def default_model(provider: str) -> str:
    """The model a new session uses when ``--model`` is not given."""
    if provider == "openai":
        return os.environ.get(OPENAI_MODEL_ENV, "").strip() or DEFAULT_MODELS["openai"]
    return DEFAULT_MODELS.get(provider, DEFAULT_MODELS["scripted"])


_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+")


def check_address(address: str) -> str:
    """``host:port`` with a port from 1 to 65535 (IPv6 as ``[::1]:7233``), else ValueError."""
    host, sep, port = address.rpartition(":")
    if sep and _HOST.fullmatch(host) and port.isdigit() and 0 < int(port) < 65536:
        return address
    problem = "its port must be 1-65535" if sep and _HOST.fullmatch(host) else "not host:port"
    raise ValueError(f"Temporal address {address!r}: {problem} (for example 127.0.0.1:7233)")


def split_address(address: str) -> tuple[str, int | None]:
    """``host:port`` -> (host, port); a missing or bad port gives None."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return address, None
    return host, int(port)

"""Run one ``python`` tool call in a child process: scrubbed environment, own directory, limits.

The child (``_code_child``) is a fresh interpreter (``python -I -S``, exec'd, not forked), so none
of the worker's memory comes along. Its environment is built from an allow-list (``_ENV_ALLOW``),
never by deleting names from the worker's, so provider keys, LASH_EXECUTION_STATE_KEY and the
store URL stay behind. It works in a temporary directory of its own (its HOME and TMPDIR too),
removed afterwards, in a process group of its own, killed whole afterwards.

Limits (worker environment, read when an interpreter is made):

- ``LASH_CODE_TIMEOUT_S`` (default 30): wall time; the group is killed after it.
- ``LASH_CODE_CPU_S`` (default: the wall time): RLIMIT_CPU.
- ``LASH_CODE_MEMORY_MB`` (default 1024): RLIMIT_AS, the address space.
- ``LASH_CODE_FILE_MB`` (default 64): RLIMIT_FSIZE, the largest file (its output included).

A call past a limit, or a child that crashes or exits early, ends as a tool failure that says
what happened; the worker lives on and the globals stay as they were before the call.

The worker's own environment is also out of reach through ``/proc/<worker>/environ``: a worker
running as root starts the child as ``nobody`` (``CHILD_UID``), which cannot read root's /proc
entries; any other worker marks itself non-dumpable at start (``protect_worker_environment``),
which makes its /proc entries root's, so the child, the same user, cannot read them.

This is no security sandbox against a determined attacker: no seccomp, no namespaces. Code can
still read whatever its user can read (world-readable files), and use the network; run workers as
a user that owns nothing else to go further. What it does: secrets are not handed to the code,
not readable by it, and the code cannot take the worker down.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from activities.agent.tools import _code_child
from activities.agent.tools._code_child import (
    EXIT_MEMORY,
    EXIT_STATE,
    decode_frame,
    encode_frame,
)
from checkpoint.errors import ConfigError

_CHILD = Path(_code_child.__file__).resolve()
_SITE_DIRS = tuple(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))
_ENV_ALLOW = ("PATH", "LANG", "LANGUAGE", "TZ", "SYSTEMROOT")
_OUTPUT = "output.txt"
MAX_OUTPUT_CHARS = 8_000


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigError(f"{name}={raw!r}: expected a positive number")
    return value


@dataclass(frozen=True)
class CodeLimits:
    """What one ``python`` call may use."""

    timeout_s: float = 30.0
    cpu_s: int = 30
    memory_mb: int = 1024
    file_mb: int = 64

    @classmethod
    def from_env(cls) -> CodeLimits:
        """LASH_CODE_TIMEOUT_S, LASH_CODE_CPU_S, LASH_CODE_MEMORY_MB, LASH_CODE_FILE_MB."""
        timeout = _env_number("LASH_CODE_TIMEOUT_S", cls.timeout_s)
        return cls(
            timeout_s=timeout,
            cpu_s=max(1, round(_env_number("LASH_CODE_CPU_S", timeout))),
            memory_mb=round(_env_number("LASH_CODE_MEMORY_MB", cls.memory_mb)),
            file_mb=round(_env_number("LASH_CODE_FILE_MB", cls.file_mb)),
        )


@dataclass(frozen=True)
class ChildResult:
    """One call's outcome: output text, ok, and the new globals (None: keep the old ones)."""

    text: str
    ok: bool
    state: bytes | None = None
    dropped: tuple[str, ...] = ()


CHILD_UID = 65534
"""``nobody``: the user a root worker runs code as."""


def _as_nobody(workdir: str) -> dict[str, object]:
    """The subprocess options that drop a root worker's child to ``nobody`` (its directory
    handed over); none for a worker that is not root."""
    if os.geteuid() != 0:
        return {}
    os.chown(workdir, CHILD_UID, CHILD_UID)
    return {"user": CHILD_UID, "group": CHILD_UID, "extra_groups": []}


def protect_worker_environment() -> None:
    """Mark the worker non-dumpable (Linux ``PR_SET_DUMPABLE``), so processes of its own user,
    code-mode children included, cannot read its /proc entries (its environment: the keys).
    A no-op where prctl is not available."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_dumpable = 4
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0)


def child_env(workdir: str) -> dict[str, str]:
    """The child's whole environment: allow-listed names only, HOME and TMPDIR its own."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in _ENV_ALLOW or name.startswith("LC_")
    }
    env.update(HOME=workdir, TMPDIR=workdir, PYTHONDONTWRITEBYTECODE="1")
    return env


async def run_in_child(code: str, state: bytes | None, limits: CodeLimits) -> ChildResult:
    """Run ``code`` over the globals ``state`` (cloudpickle bytes, never unpickled here)."""
    workdir = tempfile.mkdtemp(prefix="lash-code-")
    try:
        output_path = Path(workdir, _OUTPUT)
        with output_path.open("wb") as output:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-I", "-S", str(_CHILD), str(limits.cpu_s),
                str(limits.memory_mb * 2**20), str(limits.file_mb * 2**20), *_SITE_DIRS,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=output,
                cwd=workdir, env=child_env(workdir), start_new_session=True,
                **_as_nobody(workdir),  # type: ignore[arg-type]
            )
        try:
            request = encode_frame({"code": code}, state or b"")
            response, _ = await asyncio.wait_for(proc.communicate(request), limits.timeout_s)
        except TimeoutError:
            response = None
        finally:
            _kill_group(proc.pid)
            await proc.wait()
        output_text = _read_output(output_path)
        return _result(response, proc.returncode, output_text, limits)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _kill_group(pgid: int) -> None:
    """The child and anything it started: its session's process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _read_output(path: Path) -> str:
    with path.open("rb") as output:
        data = output.read(MAX_OUTPUT_CHARS * 4)
    return data.decode("utf-8", errors="replace")[:MAX_OUTPUT_CHARS]


def _result(
    response: bytes | None, returncode: int | None, output: str, limits: CodeLimits
) -> ChildResult:
    def failed(what: str) -> ChildResult:
        return ChildResult(text=f"python: {what}\n{output}".rstrip("\n") + "\n", ok=False)

    if response is None:
        return failed(f"exceeded the {limits.timeout_s:g} s wall-time limit")
    if returncode == 0:
        try:
            header, state = decode_frame(response)
        except ValueError:
            return failed("the child process sent no usable result")
        if header.get("limit") == "memory":
            return ChildResult(
                text=f"python: exceeded the {limits.memory_mb} MiB memory limit\n{output}",
                ok=False, state=state, dropped=_names(header),
            )
        return ChildResult(
            text=output or "(no output)", ok=bool(header.get("ok")), state=state,
            dropped=_names(header),
        )
    return failed(_death(returncode, limits))


def _names(header: dict[str, object]) -> tuple[str, ...]:
    dropped = header.get("dropped")
    return tuple(str(name) for name in dropped) if isinstance(dropped, list) else ()


def _death(returncode: int | None, limits: CodeLimits) -> str:
    """What a child that ended without a result ran into."""
    if returncode == EXIT_STATE:
        return "the session's globals do not unpickle in the child; they are kept as they were"
    if returncode == EXIT_MEMORY:
        return f"exceeded the {limits.memory_mb} MiB memory limit"
    if returncode is not None and returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU:
            return f"exceeded the {limits.cpu_s} s CPU-time limit"
        if sig == signal.SIGKILL:
            return (f"the child process was killed (SIGKILL): past the {limits.cpu_s} s CPU-time "
                    "limit, or the system ran out of memory")
        if sig == signal.SIGSEGV:
            return "the interpreter crashed with a segmentation fault (SIGSEGV)"
        name = signal.Signals(sig).name if sig in set(signal.Signals) else str(sig)
        return f"the child process was killed by {name}"
    return f"the child process exited with status {returncode} before finishing the call"

"""Run ``lash-temporal`` as a user would: a subprocess in its own directory, with a bounded wait.

``python -m workflows.host.cli`` is the console script's code path (``workflows.host.cli:main``);
it works before the project is installed into the venv, which a fresh checkout's test run relies on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from activities.agent.tools import KEY_ENV
from workflows.host.cli._config import KEY_FILE

REPO = Path(__file__).resolve().parents[3]
CLI = (sys.executable, "-m", "workflows.host.cli")
TEMPORAL = Path(sys.executable).parent / "temporal"
RUN_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0
_ENV_DROP = ("LASH_TEMPORAL_ADDRESS", "LASH_TEMPORAL_STORE", "LASH_TEMPORAL_NAMESPACE",
             "LASH_TEMPORAL_TASK_QUEUE", "OPENAI_API_KEY", KEY_ENV)


def cli_env(**extra: str) -> dict[str, str]:
    """A clean environment: no inherited lash settings or keys, the repo on the path."""
    env = {k: v for k, v in os.environ.items() if k not in _ENV_DROP}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


@dataclass
class Result:
    """What a finished command left behind."""

    code: int
    out: str
    err: str

    def error_line(self) -> str:
        """The one line an expected failure prints; fails the test if there is not exactly one."""
        lines = [ln for ln in self.err.splitlines() if ln.strip()]
        assert len(lines) == 1, f"expected one stderr line, got:\n{self.err}"
        assert "Traceback" not in self.err
        return lines[0]


def run_cli(
    *args: str, cwd: Path, env: dict[str, str], stdin: str | None = None,
    timeout: float = RUN_TIMEOUT_S,
) -> Result:
    """Run one command to completion (bounded by ``timeout``)."""
    proc = subprocess.Popen(
        [*CLI, *args], cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        out, err = proc.communicate(stdin if stdin is not None else "", timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise
    return Result(proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """SIGKILL the command and what it started (a dev server outlives a killed parent)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


class Background:
    """A long-running command (``dev``, ``worker``) with its output in files we can poll."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str], name: str) -> None:
        self.out_path = cwd / f"{name}.out"
        self.err_path = cwd / f"{name}.err"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [*CLI, *args], cwd=cwd, env=env, stdout=out, stderr=err,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )

    @property
    def out(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def err(self) -> str:
        return self.err_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = RUN_TIMEOUT_S) -> None:
        """Poll stdout until ``text`` appears; fail with the output if the process ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.out:
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"exited {self.proc.returncode} before {text!r}:\n"
                                     f"{self.out}\n{self.err}")
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} within {timeout}s:\n{self.out}\n{self.err}")

    def interrupt(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGINT, as Ctrl-C would send; the exit code (killed after ``timeout``)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            self.proc.wait(STOP_TIMEOUT_S)
            raise AssertionError(
                f"did not stop within {timeout}s:\n{self.out}\n{self.err}"
            ) from None

    def terminate(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM, as a service manager would send; the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """Last resort for a fixture's teardown after a failure: the command and its children."""
        _kill_group(self.proc)
        self.proc.wait(STOP_TIMEOUT_S)


def sqlite_url(path: Path) -> str:
    """``sqlite:///`` + an absolute path (four slashes)."""
    return f"sqlite:///{path.resolve()}"


@dataclass(frozen=True)
class DevStack:
    """Where the shared dev stack listens and keeps its store."""

    address: str
    store_url: str
    directory: Path
    ui_port: int

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a user of this stack would have: its address, its store, and the
        signing key its worker made (another worker on the same store needs the same key)."""
        key = (self.directory / KEY_FILE).read_text().strip()
        settings = {"LASH_TEMPORAL_ADDRESS": self.address, "LASH_TEMPORAL_STORE": self.store_url,
                    KEY_ENV: key}
        return cli_env(**{**settings, **extra})

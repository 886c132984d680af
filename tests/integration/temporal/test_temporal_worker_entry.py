"""``python -m workflows.host.worker`` fails with one clear line, no traceback; stops with 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from temporal_harness import ROOT, TEST_KEY, WorkerProcess
from temporalio.testing import WorkflowEnvironment

from activities.agent.tools import KEY_ENV
from workflows.host.devserver import free_port
from workflows.host.worker import READY_LINE


def _run(*args: str, key: str = TEST_KEY.decode()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workflows.host.worker", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, KEY_ENV: key},
    )


def test_a_worker_without_its_signing_key_does_not_start(tmp_path: Path) -> None:
    """LASH_EXECUTION_STATE_KEY unset: exit 1 naming it, before the store or Temporal."""
    done = _run("--store", f"sqlite:///{tmp_path / 's.db'}", "--target",
                f"127.0.0.1:{free_port()}", key="")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("lash-temporal worker: LASH_EXECUTION_STATE_KEY is not set")
    assert not (tmp_path / "s.db").exists()


def test_a_bad_store_url_is_one_line_naming_the_url() -> None:
    """An unknown store scheme exits 1 with the reason, before touching Temporal."""
    done = _run("--store", "bogus://nowhere", "--target", f"127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "store 'bogus://nowhere' is unavailable" in done.stderr


def test_an_unreachable_temporal_is_one_line_naming_the_target(tmp_path: Path) -> None:
    """No server at the target: exit 1 with the address, no traceback."""
    target = f"127.0.0.1:{free_port()}"
    done = _run("--store", f"sqlite:///{tmp_path / 's.db'}", "--target", target)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"cannot reach Temporal at {target}" in done.stderr


def test_a_missing_namespace_is_one_line_naming_it(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """A reachable server without the namespace: exit 1 before saying ready, no traceback."""
    target = temporal_env.client.service_client.config.target_host
    done = _run("--store", f"sqlite:///{tmp_path / 's.db'}", "--target", target,
                "--namespace", "no-such-namespace")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert READY_LINE not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"lash-temporal worker: cannot reach Temporal at {target}: "
        "namespace 'no-such-namespace' does not exist"
    ]


def test_a_stopped_worker_exits_0_every_time(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """SIGTERM drains and exits 0; interpreter finalization never turns it into 134."""
    target = temporal_env.client.service_client.config.target_host
    codes = []
    for n in range(3):
        proc = WorkerProcess(target, f"entry-{n}", f"sqlite:///{tmp_path / 's.db'}",
                             tmp_path / f"worker-{n}.log").start()
        proc.stop()
        assert proc.proc is not None
        codes.append(proc.proc.returncode)
    assert codes == [0, 0, 0], [p.read_text()[-500:] for p in tmp_path.glob("worker-*.log")]

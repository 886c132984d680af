"""docker-compose.yml runs the product: every command and option it gives the CLI exists, the
image builds from files that exist, and the variables it sets are ones the code reads.

There is no Docker engine on the machines that run the tests, so this is what can be checked
without one: the parts of the file that name our code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.host.cli._parser import build_parser

ROOT = Path(__file__).resolve().parents[2]
CODE = ("checkpoint", "activities", "workflows")


def _services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def _ours() -> dict[str, dict[str, Any]]:
    """The services built from this repository (the lash-temporal image)."""
    return {name: s for name, s in _services().items() if "build" in s}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _read_by_code() -> str:
    return "\n".join(p.read_text() for pkg in CODE for p in (ROOT / pkg).rglob("*.py"))


def command_problems(services: dict[str, dict[str, Any]]) -> list[str]:
    """Each of our services' command, as the real CLI parser reads it: what it refuses."""
    problems = []
    for name, service in services.items():
        command = service.get("command")
        if not isinstance(command, list):
            problems.append(f"{name}: command must be a list of arguments")
            continue
        try:
            build_parser().parse_args([str(a) for a in command])
        except SystemExit:
            problems.append(f"{name}: `lash-temporal {' '.join(command)}` is not a valid command")
    return problems


def test_there_are_workers_and_a_setup_built_from_this_repository() -> None:
    ours = _ours()
    commands = {name: s["command"][-1] for name, s in ours.items()}
    assert "worker" in commands.values() and "setup" in commands.values()
    assert {"postgresql", "temporal", "temporal-ui"} <= set(_services())


def test_every_command_and_option_given_to_the_cli_exists() -> None:
    assert command_problems(_ours()) == []


def test_a_renamed_option_is_caught(capsys: pytest.CaptureFixture[str]) -> None:
    """The check can fail: an option the CLI does not have is reported."""
    renamed = {"worker": {"command": ["--task-queues", "lash-sessions", "worker"]}}
    assert command_problems(renamed) == [
        "worker: `lash-temporal --task-queues lash-sessions worker` is not a valid command"
    ]
    capsys.readouterr()  # argparse's own message about it


def test_the_image_builds_from_files_that_exist() -> None:
    for name, service in _ours().items():
        build = service["build"]
        context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = context / ("Dockerfile" if isinstance(build, str)
                                else build.get("dockerfile", "Dockerfile"))
        assert dockerfile.is_file(), f"{name}: no {dockerfile}"
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY "):
                for source in line.split()[1:-1]:
                    assert (context / source).exists(), f"{name}: COPY {source} does not exist"


def test_every_variable_it_sets_for_our_services_is_read_by_the_code() -> None:
    code = _read_by_code()
    for name, service in _ours().items():
        for variable in _environment(service):
            assert re.search(rf"[\"']{re.escape(variable)}[\"']", code), (
                f"{name} sets {variable}, which no module reads"
            )


def test_the_worker_gets_its_secrets_from_the_environment_not_the_file() -> None:
    env = _environment(_services()["worker"])
    assert env["LASH_EXECUTION_STATE_KEY"].startswith("${")
    assert env["OPENAI_API_KEY"].startswith("${")

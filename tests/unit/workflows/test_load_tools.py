"""``--tools module:attr``: a worker loads its tool catalog from a module, or says why not."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workflows.host._tools import ToolsNotFoundError, load_tools
from workflows.host.cli._parser import build_parser

MODULE = '''
from activities.agent.tools import default_tools

registry = default_tools()

@registry.tool
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()

def make():
    return registry

not_a_catalog = 3
'''


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"lash_tools_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_a_catalog_or_a_function_returning_one_loads(module: str) -> None:
    """``module:attr`` names the catalog itself or a factory of it."""
    assert "shout" in load_tools(f"{module}:registry")
    assert "shout" in load_tools(f"{module}:make")


@pytest.mark.parametrize(
    ("attr", "reason"),
    [("", "expected MODULE:ATTR"), ("missing", "has no 'missing'"),
     ("not_a_catalog", "it is a int, not a ToolCatalog")],
)
def test_a_bad_spec_is_one_clear_error(module: str, attr: str, reason: str) -> None:
    """Each way of getting it wrong says which."""
    with pytest.raises(ToolsNotFoundError, match=reason):
        load_tools(f"{module}:{attr}" if attr else module)


def test_a_missing_module_is_named() -> None:
    with pytest.raises(ToolsNotFoundError, match="no module 'no_such_tools_module'"):
        load_tools("no_such_tools_module:registry")


def test_the_worker_command_takes_tools() -> None:
    """``lash-temporal worker --tools mod:attr`` parses."""
    args = build_parser().parse_args(["worker", "--tools", "mymodule:registry"])
    assert args.tools == "mymodule:registry"

"""The import rules the layout relies on, checked by walking every module's AST.

- Direction: ``workflows -> activities -> checkpoint``; never the other way.
- Host code (``workflows.host``: client, worker, dev server, CLI) is imported by nothing else in
  our packages, so workflow code can never reach it.
- ``checkpoint.model`` is pure: no I/O or Temporal module, nothing from the store.
- The sandbox line: ``workflows.session`` (the code Temporal's sandbox runs) imports our modules
  only inside ``workflow.unsafe.imports_passed_through()``, and what it pulls in, transitively,
  is the explicit allow-list below: contract and model modules, no store, no provider, no I/O.

Imports under ``if TYPE_CHECKING:`` never run, so the sandbox rule skips them (the direction
rule does not). A failure names the module, the line and the rule; fix the import, or, if a new
module really is pure, add it to the allow-list with a reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("checkpoint", "activities", "workflows")

MAY_IMPORT = {
    "checkpoint": frozenset(),
    "activities": frozenset({"checkpoint"}),
    "workflows": frozenset({"activities", "checkpoint"}),
}
"""Which of our packages each package may import: workflows -> activities -> checkpoint."""

MODEL = "checkpoint.model"
MODEL_MAY_IMPORT = frozenset({"checkpoint.model", "checkpoint.errors"})
"""Our modules the pure model may use (the store, blobs and everything above do I/O)."""

IO_MODULES = frozenset({
    "aiohttp", "asyncio", "cloudpickle", "glob", "http", "httpx", "io", "multiprocessing", "os",
    "pathlib", "pickle", "psycopg", "psycopg_pool", "requests", "select", "selectors", "shutil",
    "signal", "socket", "sqlite3", "ssl", "subprocess", "sys", "tempfile", "temporalio",
    "threading", "time", "urllib",
})
"""Modules the model may not import: files, processes, sockets, clocks, drivers, Temporal."""

SANDBOX_ENTRY = "workflows.session"
SANDBOX_PROJECT = frozenset({  # each entry covers its submodules
    # The activities' request/response models and activity names (pure pydantic).
    "activities.contract",
    "activities.failures",  # the retry rule: names for the RetryPolicy (Temporal exceptions only)
    # The session model and the error hierarchy (pure).
    "checkpoint.model",
    "checkpoint.errors",
    # The workflow's public contract and its pure helpers (a package), both passed through
    # whole by workflows.plugin.
    "workflows.contract",
    "workflows.sandbox",
})
"""Our modules that code in the sandbox may import, directly or through each other."""

SANDBOX_EXTERNAL = frozenset({
    "__future__", "asyncio", "collections", "contextlib", "contextvars", "copy",
    "dataclasses", "datetime", "enum", "functools", "hashlib", "itertools", "json", "math",
    "pydantic", "pydantic_core", "re", "temporalio", "typing", "uuid",
})
"""Other modules the sandbox closure may import (Temporal's own, pydantic, pure stdlib)."""


@dataclass(frozen=True)
class Import:
    """One import statement's target, resolved to a module name."""

    module: str
    target: str
    line: int
    passed_through: bool
    type_only: bool


def project_modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module in our packages under ``root``."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_passthrough(node: ast.With) -> bool:
    return any(
        isinstance(item.context_expr, ast.Call)
        and isinstance(item.context_expr.func, ast.Attribute)
        and item.context_expr.func.attr == "imports_passed_through"
        for item in node.items
    )


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(module: str, path: Path, known: dict[str, Path]) -> list[Import]:
    """Every import in ``path``; ``from pkg import sub`` resolves to ``pkg.sub`` when that is
    one of our modules, relative imports resolve against ``module``'s package."""
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, passed: bool, type_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(module, alias.name, child.lineno, passed, type_only)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module.split(".")
                    if not is_package:
                        package = package[:-1]
                    package = package[: len(package) - (child.level - 1)]
                    base = ".".join([*package, *([base] if base else [])])
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    target = sub if sub in known else base
                    yield Import(module, target, child.lineno, passed, type_only)
            elif isinstance(child, ast.With):
                yield from visit(child, passed or _is_passthrough(child), type_only)
            elif isinstance(child, ast.If):
                yield from visit(child, passed, type_only or _is_type_checking(child))
            else:
                yield from visit(child, passed, type_only)

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found.extend(visit(tree, False, False))
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def direction_problems(root: Path) -> list[str]:
    """Imports from a package into one above it (checkpoint -> activities, and so on)."""
    known = project_modules(root)
    problems = []
    for module, path in known.items():
        package = _top(module)
        for imp in imports(module, path, known):
            other = _top(imp.target)
            if other in MAY_IMPORT and other != package and other not in MAY_IMPORT[package]:
                problems.append(
                    f"{path.relative_to(root)}:{imp.line}: {module} imports {imp.target} "
                    f"({package} must not import {other}: imports run workflows -> activities "
                    "-> checkpoint)"
                )
    return problems


HOST = "workflows.host"


def host_problems(root: Path) -> list[str]:
    """Imports of host code (``workflows.host``) from any module outside it."""
    known = project_modules(root)
    problems = []
    for module, path in known.items():
        if _within(module, HOST):
            continue
        for imp in imports(module, path, known):
            if _within(imp.target, HOST):
                problems.append(
                    f"{path.relative_to(root)}:{imp.line}: {module} imports {imp.target} "
                    "(host code runs outside workflows; only other host code imports it)"
                )
    return problems


def model_problems(root: Path) -> list[str]:
    """I/O, Temporal or store imports in ``checkpoint.model``."""
    known = project_modules(root)
    problems = []
    for module, path in known.items():
        if not _within(module, MODEL):
            continue
        for imp in imports(module, path, known):
            ours = _top(imp.target) in MAY_IMPORT
            allowed = any(_within(imp.target, m) for m in MODEL_MAY_IMPORT)
            if (ours and not allowed) or (not ours and _top(imp.target) in IO_MODULES):
                problems.append(
                    f"{path.relative_to(root)}:{imp.line}: {module} imports {imp.target} "
                    "(checkpoint.model is pure: no I/O, no Temporal, no store)"
                )
    return problems


def sandbox_problems(root: Path, entry: str = SANDBOX_ENTRY) -> list[str]:
    """What the sandboxed workflow module pulls in beyond the allow-lists, and any of our
    modules it imports outside ``imports_passed_through()``."""
    known = project_modules(root)
    problems: list[str] = []
    seen, todo = {entry}, [entry]
    while todo:
        module = todo.pop()
        path = known[module]
        for imp in imports(module, path, known):
            if imp.type_only:
                continue
            where = f"{path.relative_to(root)}:{imp.line}: {module} imports {imp.target}"
            if _top(imp.target) in MAY_IMPORT:
                if module == entry and not imp.passed_through:
                    problems.append(f"{where} outside workflow.unsafe.imports_passed_through()")
                if not any(_within(imp.target, m) for m in SANDBOX_PROJECT):
                    problems.append(
                        f"{where}, which is not a contract or model module the sandbox may "
                        "import (SANDBOX_PROJECT in tests/unit/test_import_rules.py)"
                    )
                elif imp.target not in seen and imp.target in known:
                    seen.add(imp.target)
                    todo.append(imp.target)
            elif _top(imp.target) not in SANDBOX_EXTERNAL:
                problems.append(
                    f"{where}, which workflow code may not import "
                    "(SANDBOX_EXTERNAL in tests/unit/test_import_rules.py)"
                )
    return problems


# --- the rules, on this repository -------------------------------------------------------------


def test_imports_run_workflows_to_activities_to_checkpoint() -> None:
    """checkpoint imports nothing from activities or workflows; activities nothing from
    workflows."""
    assert direction_problems(ROOT) == []


def test_nothing_but_host_code_imports_host_code() -> None:
    """workflows.host (client, worker, dev server, CLI) is imported only from within itself."""
    assert host_problems(ROOT) == []


def test_the_model_does_no_io() -> None:
    """checkpoint.model imports no driver, file, process, clock or Temporal module."""
    assert model_problems(ROOT) == []


def test_sandboxed_workflow_code_imports_only_contract_and_model_modules() -> None:
    """workflows.session and what it imports stay within the sandbox allow-lists."""
    assert sandbox_problems(ROOT) == []


def test_the_sandbox_allow_list_is_passed_through_by_the_plugin() -> None:
    """Each allowed module of ours is passed through (by name in SANDBOX_PASSTHROUGH, or by
    workflows.session's imports_passed_through block), so no second copy is made per run."""
    from workflows.plugin import SANDBOX_PASSTHROUGH

    known = project_modules(ROOT)
    passed = {i.target for i in imports(SANDBOX_ENTRY, known[SANDBOX_ENTRY], known)
              if i.passed_through}
    uncovered = [
        m for m in sorted(SANDBOX_PROJECT)
        if m not in passed and not any(_within(m, p) for p in SANDBOX_PASSTHROUGH)
    ]
    assert uncovered == []


# --- the checker, on a tree that breaks every rule ---------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").touch()
    return root


def test_an_import_against_the_direction_is_reported(tmp_path: Path) -> None:
    """checkpoint -> activities, checkpoint -> workflows and activities -> workflows all fail."""
    root = _tree(tmp_path, {
        "checkpoint/store.py": "from activities.turn import run\n",
        "checkpoint/model/__init__.py": "from ..x import y\nimport workflows.session\n",
        "checkpoint/x.py": "y = 1\n",
        "activities/turn.py": "from workflows import session\nfrom checkpoint import x\n",
        "workflows/session.py": "",
    })
    problems = direction_problems(root)
    assert sorted(p.split(":")[0] for p in problems) == [
        "activities/turn.py", "checkpoint/model/__init__.py", "checkpoint/store.py",
    ]
    assert any("activities must not import workflows" in p for p in problems)


def test_a_host_import_from_outside_host_code_is_reported(tmp_path: Path) -> None:
    """The workflow or the plugin importing the client or the CLI fails."""
    root = _tree(tmp_path, {
        "workflows/session.py": "from workflows.host.client import send\n",
        "workflows/plugin.py": "from workflows.host import cli\n",
        "workflows/host/__init__.py": "",
        "workflows/host/client.py": "from workflows.host import cli\nsend = 1\n",
        "workflows/host/cli.py": "",
    })
    problems = host_problems(root)
    files = sorted(p.split(":")[0] for p in problems)
    assert files == ["workflows/plugin.py", "workflows/session.py"]


def test_io_in_the_model_is_reported(tmp_path: Path) -> None:
    """sqlite3, os, temporalio or the store imported by the model each fail."""
    root = _tree(tmp_path, {
        "checkpoint/model/_a.py": "import sqlite3\nfrom os import path\n",
        "checkpoint/model/_b.py": "from temporalio import workflow\nfrom . import _a\n",
        "checkpoint/model/_c.py": "from checkpoint.store import open_store\nimport json\n",
    })
    targets = sorted(p.split(" imports ")[1].split(" ")[0] for p in model_problems(root))
    assert targets == ["checkpoint.store", "os", "sqlite3", "temporalio"]


def test_a_sandbox_import_past_the_line_is_reported(tmp_path: Path) -> None:
    """A store or turn import reached from the workflow, directly or through an allowed
    module, and an import of ours outside the passthrough block, are all reported."""
    root = _tree(tmp_path, {
        "workflows/session.py": (
            "from temporalio import workflow\n"
            "from workflows.contract import X\n"
            "with workflow.unsafe.imports_passed_through():\n"
            "    from activities.contract import TurnRequest\n"
            "    from activities.turn import TurnActivities\n"
        ),
        "workflows/contract.py": "X = 1\n",
        "activities/contract.py": (
            "from typing import TYPE_CHECKING\n"
            "import sqlite3\n"
            "if TYPE_CHECKING:\n"
            "    from checkpoint.store import Store\n"
        ),
        "activities/turn.py": "",
    })
    problems = sandbox_problems(root)
    assert len(problems) == 3
    assert "workflows.contract outside workflow.unsafe.imports_passed_through()" in problems[0]
    assert "imports activities.turn, which is not a contract" in problems[1]
    assert "activities.contract imports sqlite3, which workflow code may not" in problems[2]

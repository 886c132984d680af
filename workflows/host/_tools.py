"""``--tools module:attr``: load the worker's tool catalog from an importable module."""

from __future__ import annotations

import importlib
import sys

from activities.agent.tools import ToolCatalog
from checkpoint.errors import LashError


class ToolsNotFoundError(LashError):
    """``--tools`` does not name an importable ToolCatalog."""

    def __init__(self, spec: str, reason: str) -> None:
        self.spec = spec
        super().__init__(f"cannot load tools {spec!r}: {reason}")


def load_tools(spec: str) -> ToolCatalog:
    """The ``ToolCatalog`` at ``module:attr`` (or returned by calling it); the module is
    imported from the current directory too, as ``python -m`` would."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ToolsNotFoundError(spec, "expected MODULE:ATTR, e.g. mytools:registry")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ToolsNotFoundError(spec, f"no module {module_name!r} ({exc})") from exc
    try:
        value = getattr(module, attr)
    except AttributeError as exc:
        raise ToolsNotFoundError(spec, f"module {module_name!r} has no {attr!r}") from exc
    if callable(value) and not isinstance(value, ToolCatalog):
        value = value()
    if not isinstance(value, ToolCatalog):
        raise ToolsNotFoundError(spec, f"it is a {type(value).__name__}, not a ToolCatalog")
    return value

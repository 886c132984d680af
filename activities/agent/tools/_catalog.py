"""The tools a worker offers (``ToolCatalog``), and which of them a session may use.

A worker is given one catalog (``default_tools()`` unless its operator passes another); every
session binds its own copies of the tools (``bind``), so a tool that holds session state
(``python``, ``remember``) never sees another session's. The session's policy picks the enabled
set (``allowed``): ``TurnPolicy.tools`` when given, else every tool but code mode, which the
scripted and echo providers (the demo, the tests) get as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar, overload

from activities.agent.tools._definition import SessionParts, ToolDefinition, ToolOptions
from activities.agent.tools._function import function_tool
from checkpoint.errors import ContractError

if TYPE_CHECKING:
    from activities.agent.tools._registry import ToolRegistry
    from activities.contract import TurnPolicy

F = TypeVar("F", bound=Callable[..., object])

CODE_MODE_PROVIDERS = frozenset({"scripted", "echo"})
"""Providers whose sessions get code mode (``python``) by default: the deterministic ones. A
real model gets it only when its policy names it."""


class ToolCatalog:
    """Tool definitions by name; ``tool`` registers a function as one."""

    def __init__(self, definitions: Iterable[ToolDefinition] = ()) -> None:
        self._definitions: dict[str, ToolDefinition] = {}
        for definition in definitions:
            self.add(definition)

    def add(self, definition: ToolDefinition, *, replace: bool = False) -> ToolDefinition:
        """Register ``definition``; a second tool of the same name needs ``replace=True``."""
        if definition.name in self._definitions and not replace:
            raise ValueError(
                f"a tool named {definition.name!r} is already registered (replace=True replaces it)"
            )
        self._definitions[definition.name] = definition
        return definition

    @overload
    def tool(self, fn: F, /) -> F: ...

    @overload
    def tool(
        self,
        fn: None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
        retries: int = 0,
        needs_approval: bool = False,
        idempotent: bool = False,
        replace: bool = False,
    ) -> Callable[[F], F]: ...

    def tool(
        self,
        fn: F | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
        retries: int = 0,
        needs_approval: bool = False,
        idempotent: bool = False,
        replace: bool = False,
    ) -> F | Callable[[F], F]:
        """Decorator: register a function (sync or async) as a tool; the function is returned
        unchanged. Its signature gives the schema, its docstring the description."""
        options = ToolOptions(
            timeout=timeout, retries=retries, needs_approval=needs_approval, idempotent=idempotent
        )

        def register(f: F) -> F:
            definition = function_tool(f, name=name, description=description, options=options)
            self.add(definition, replace=replace)
            return f

        return register if fn is None else register(fn)

    def remove(self, name: str) -> None:
        del self._definitions[name]

    def get(self, name: str) -> ToolDefinition | None:
        return self._definitions.get(name)

    def names(self) -> list[str]:
        return sorted(self._definitions)

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    def __iter__(self) -> Iterator[ToolDefinition]:
        return iter(self._definitions.values())

    def __len__(self) -> int:
        return len(self._definitions)

    def default_names(self, provider: str) -> list[str]:
        """The default set: every tool, code mode only for ``CODE_MODE_PROVIDERS``."""
        return sorted(
            name
            for name, definition in self._definitions.items()
            if not definition.code_mode or provider in CODE_MODE_PROVIDERS
        )

    def allowed(self, policy: TurnPolicy) -> list[str]:
        """The tools ``policy`` enables; ContractError when it names one this worker lacks."""
        if policy.tools is None:
            return self.default_names(policy.provider)
        missing = sorted(set(policy.tools) - set(self._definitions))
        if missing:
            raise ContractError(
                f"the session's policy enables tools this worker does not have: "
                f"{', '.join(missing)} (it has {', '.join(self.names()) or 'none'})"
            )
        return sorted(set(policy.tools))

    def bind(self, parts: SessionParts, enabled: Iterable[str]) -> ToolRegistry:
        """A session's registry: every tool bound to ``parts``, ``enabled`` ones enabled."""
        from activities.agent.tools._registry import ToolRegistry

        return ToolRegistry.with_tools(
            [definition.bind(parts) for definition in self._definitions.values()],
            enabled=enabled,
        )


def default_tools() -> ToolCatalog:
    """A new catalog of the built-ins (``python``, ``remember``, ``spawn_agent``,
    ``word_count``); add your own tools to it with ``@catalog.tool``."""
    from activities.agent.plugins import REMEMBER  # the plugin module imports this package
    from activities.agent.tools._builtin import SPAWN_AGENT, WORD_COUNT
    from activities.agent.tools._python import PYTHON

    return ToolCatalog([PYTHON, REMEMBER, SPAWN_AGENT, WORD_COUNT])

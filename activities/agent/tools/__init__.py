"""Tools: definitions from Python functions, the worker's catalog, and the session registry.

A worker offers a ``ToolCatalog`` (``default_tools()``: ``python``, ``remember``, ``spawn_agent``
and ``word_count``, plus whatever its operator registers with ``@catalog.tool``); each session
binds its own copies into a ``ToolRegistry``, which keeps lash's ToolState generation rules
(spec §8.2). Every call is validated against the tool's schema and guarded (timeout, retries,
exceptions as tool failures) by ``BoundTool``. Code mode (``python``) runs in a child process
per call with signed persistent globals; ``remember`` lives with its plugin in
``activities.agent.plugins``.
"""

from activities.agent.tools._builtin import SPAWN_AGENT, WORD_COUNT, SpawnAgentTool, word_count
from activities.agent.tools._catalog import CODE_MODE_PROVIDERS, ToolCatalog, default_tools
from activities.agent.tools._code_process import CodeLimits, protect_worker_environment
from activities.agent.tools._definition import (
    BUILTIN_SOURCE,
    WORKER_SOURCE,
    BoundTool,
    SessionParts,
    ToolDefinition,
    ToolOptions,
    invalid_arguments,
)
from activities.agent.tools._exec_state import (
    KEY_ENV,
    dump_signed,
    key_from_env,
    key_from_env_or_file,
    load_or_create_key,
    load_signed,
    sign,
    verify,
)
from activities.agent.tools._function import adapted, function_tool
from activities.agent.tools._python import PYTHON, PythonInterpreter, PythonTool
from activities.agent.tools._registry import SOURCE_ID, ToolRegistry
from activities.agent.tools._types import Tool, ToolContext, ToolOutput, string_parameter

__all__ = [
    "BUILTIN_SOURCE",
    "CODE_MODE_PROVIDERS",
    "KEY_ENV",
    "PYTHON",
    "SOURCE_ID",
    "SPAWN_AGENT",
    "WORD_COUNT",
    "WORKER_SOURCE",
    "BoundTool",
    "CodeLimits",
    "PythonInterpreter",
    "PythonTool",
    "SessionParts",
    "SpawnAgentTool",
    "Tool",
    "ToolCatalog",
    "ToolContext",
    "ToolDefinition",
    "ToolOptions",
    "ToolOutput",
    "ToolRegistry",
    "adapted",
    "default_tools",
    "dump_signed",
    "function_tool",
    "invalid_arguments",
    "key_from_env",
    "key_from_env_or_file",
    "load_or_create_key",
    "load_signed",
    "protect_worker_environment",
    "sign",
    "string_parameter",
    "verify",
    "word_count",
]

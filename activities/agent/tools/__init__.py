"""Tools: the registry with ToolState generation rules and the built-in tools.

Built-ins: ``python`` (code mode: a child process per call, signed persistent globals),
``word_count`` and ``spawn_agent`` (sub-agents). ``remember`` lives with its plugin in
``activities.agent.plugins``.
"""

from activities.agent.tools._builtin import SpawnAgentTool, WordCountTool
from activities.agent.tools._code_process import CodeLimits
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
from activities.agent.tools._python import PythonInterpreter, PythonTool
from activities.agent.tools._registry import SOURCE_ID, ToolRegistry
from activities.agent.tools._types import Tool, ToolContext, ToolOutput, string_parameter

__all__ = [
    "KEY_ENV",
    "SOURCE_ID",
    "CodeLimits",
    "PythonInterpreter",
    "PythonTool",
    "SpawnAgentTool",
    "Tool",
    "ToolContext",
    "ToolOutput",
    "ToolRegistry",
    "WordCountTool",
    "dump_signed",
    "key_from_env",
    "key_from_env_or_file",
    "load_or_create_key",
    "load_signed",
    "sign",
    "string_parameter",
    "verify",
]

"""The built-in demo script: a conversation that exercises every built-in tool.

Turn ``n`` of a session plays ``turns[(n - 1) % len(turns)]``, so a session of any length works.
Child sessions (sub-agents) play ``child_turns`` instead, which never spawn again.
"""

from __future__ import annotations

from typing import Any

DEMO_SCRIPT: dict[str, Any] = {
    "turns": [
        [
            {
                "text": "Let me count that for you.",
                "tool_calls": [
                    {"name": "word_count", "args": {"text": "durable agents on temporal"}}
                ],
            },
            {"text": "Your sentence has 4 words."},
        ],
        [
            {
                "text": "I'll keep a running total in Python.",
                "tool_calls": [
                    {
                        "name": "python",
                        "args": {"code": "total = globals().get('total', 0) + 21\ntotal"},
                    }
                ],
            },
            {"text": "The running total is stored in the interpreter."},
        ],
        [
            {
                "text": "Noting that down.",
                "tool_calls": [{"name": "remember", "args": {"note": "the user likes totals"}}],
            },
            {
                "text": "And doubling the total.",
                "tool_calls": [{"name": "python", "args": {"code": "total = total * 2\ntotal"}}],
            },
            {"text": "Noted, and the total is doubled."},
        ],
        [
            {
                "text": "I'll ask a sub-agent.",
                "tool_calls": [
                    {"name": "spawn_agent", "args": {"task": "Summarise our conversation so far."}}
                ],
            },
            {"text": "The sub-agent has reported back."},
        ],
        [{"text": "Happy to help with anything else."}],
    ],
    "child_turns": [
        [
            {
                "text": "Counting the task words.",
                "tool_calls": [
                    {"name": "word_count", "args": {"text": "summarise the conversation"}}
                ],
            },
            {"text": "Sub-agent report: the conversation is about running totals."},
        ]
    ],
}

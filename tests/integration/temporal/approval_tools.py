"""Tools for the approval tests' worker processes (``--tools approval_tools:TOOLS``).

``deploy`` needs approval: it appends its target to ``$LASH_TEST_EFFECTS`` (the effect a test
counts), then sleeps ``$LASH_TEST_TOOL_SLEEP_S`` so a test can kill the worker mid-call.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from activities.agent.tools import default_tools

TOOLS = default_tools()


@TOOLS.tool(needs_approval=True)
async def deploy(target: str) -> str:
    """Deploy the service to a target."""
    with Path(os.environ["LASH_TEST_EFFECTS"]).open("a", encoding="utf-8") as effects:
        effects.write(target + "\n")
    await asyncio.sleep(float(os.environ.get("LASH_TEST_TOOL_SLEEP_S", "0")))
    return f"deployed to {target}"

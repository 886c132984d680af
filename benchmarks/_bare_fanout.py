"""The baseline for ``bench_fanout``: a parent workflow that starts bare children in parallel.

Kept apart from the benchmark so the workflow sandbox imports nothing but temporalio here.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench.fanout_noop")
async def noop(task: str) -> str:
    """Does nothing; answers at once, as a scripted child does."""
    return "child answer"


@workflow.defn(name="bench.fanout_child")
class BareChild:
    """One no-op activity, then done."""

    @workflow.run
    async def run(self, task: str) -> str:
        answer: str = await workflow.execute_activity(
            noop, task, start_to_close_timeout=timedelta(minutes=1)
        )
        return answer


@workflow.defn(name="bench.fanout_parent")
class BareParent:
    """Starts ``children`` bare children at once and waits for all of them."""

    @workflow.run
    async def run(self, children: int) -> list[str]:
        parent = workflow.info().workflow_id
        return list(await asyncio.gather(*(
            workflow.execute_child_workflow(BareChild.run, f"task {i}", id=f"{parent}/child-{i}")
            for i in range(children)
        )))

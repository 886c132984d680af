"""Deliberately changed session workflows, to prove the replay test catches a change."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contract import SessionEnd, SessionInput
    from workflows.session import SessionWorkflow


@workflow.defn(name="lash.session")
class ChangedSessionWorkflow:
    """Same name and input, but it never runs a turn: replaying real history must fail."""

    @workflow.run
    async def run(self, inp: SessionInput) -> SessionEnd:
        await workflow.wait_condition(lambda: False)
        return SessionEnd(session_id=inp.session_id, turn_index=0, answer="")


@workflow.defn(name="lash.session")
class NoHeadLoadSessionWorkflow(SessionWorkflow):
    """Today's workflow minus the head load a new run starts with (the workflow before it had
    one): its first command differs, so the recorded first runs must refuse it."""

    @workflow.init
    def __init__(self, inp: SessionInput) -> None:
        super().__init__(inp)
        self._needs_head = False

    @workflow.run
    async def run(self, inp: SessionInput) -> SessionEnd:
        return await super().run(inp)

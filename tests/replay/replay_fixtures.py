"""A deliberately changed session workflow, to prove the replay test catches a change."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows._inputs import SessionEnd, SessionInput


@workflow.defn(name="lash.session")
class ChangedSessionWorkflow:
    """Same name and input, but it never runs a turn: replaying real history must fail."""

    @workflow.run
    async def run(self, inp: SessionInput) -> SessionEnd:
        await workflow.wait_condition(lambda: False)
        return SessionEnd(session_id=inp.session_id, turn_index=0, answer="")

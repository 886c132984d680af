"""A run the worker evicts mid-turn is closed outside its event loop: its ``finally`` blocks
must make no workflow call (CI logged "Not in workflow event loop" from one)."""

from __future__ import annotations

from workflows.session import SessionWorkflow


def test_publishing_details_outside_the_workflow_loop_does_nothing() -> None:
    """No loop, no runtime: the call returns instead of raising (nothing else is touched)."""
    session = object.__new__(SessionWorkflow)  # no state: a call that reached it would fail
    session._publish_details()

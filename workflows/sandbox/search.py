"""The search attributes a session workflow sets, so the Temporal UI can filter sessions.

The dev launcher registers exactly these; a production namespace needs them registered once
(``temporal operator search-attribute create``) before sessions can upsert them.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

SESSION_ID = SearchAttributeKey.for_keyword("LashSessionId")
"""The session's id (also the tail of the workflow id)."""
PARENT_SESSION_ID = SearchAttributeKey.for_keyword("LashParentSessionId")
"""Set on sub-agent sessions only: the session that spawned it."""
TURN_INDEX = SearchAttributeKey.for_int("LashTurnIndex")
"""Number of completed turns, so "sessions past turn 100" is one query."""
MODEL = SearchAttributeKey.for_keyword("LashModel")
"""The model named in the session's policy."""

ALL_KEYS = (SESSION_ID, PARENT_SESSION_ID, TURN_INDEX, MODEL)

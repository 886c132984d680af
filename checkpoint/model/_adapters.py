"""Module-level TypeAdapters for the top-level types that are unions, not classes.

Classes validate with ``Model.model_validate`` / ``model_validate_json``; these cover the tagged
unions a caller may need to read or write on their own (built once, reused).
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from ._create_request import SessionAppendNode, SessionStartPoint
from ._nodes import SessionEventRecord
from ._session_meta import SessionRelation
from ._store_records import GraphCommitDelta, SessionReadScope
from ._tool_call import ToolValue

SESSION_START_POINT: TypeAdapter[Any] = TypeAdapter(SessionStartPoint)
SESSION_APPEND_NODE: TypeAdapter[Any] = TypeAdapter(SessionAppendNode)
SESSION_EVENT_RECORD: TypeAdapter[Any] = TypeAdapter(SessionEventRecord)
SESSION_RELATION: TypeAdapter[Any] = TypeAdapter(SessionRelation)
GRAPH_COMMIT_DELTA: TypeAdapter[Any] = TypeAdapter(GraphCommitDelta)
SESSION_READ_SCOPE: TypeAdapter[Any] = TypeAdapter(SessionReadScope)
TOOL_VALUE: TypeAdapter[Any] = TypeAdapter(ToolValue)

"""A worker's terminal: one line per failed activity attempt, tracebacks only for surprises.

Temporal's SDK logs every failed activity attempt with its traceback (``temporalio.activity``,
"Completing activity as failed"): a model endpoint that refuses connections fills the terminal
with one SDK traceback per retry and hides the cause. ``configure_worker_logging`` installs a
filter that rewrites an *expected* failure (an ``ApplicationError`` our activities raise on
purpose, or any ``LashError``) as one line naming the session, turn, attempt and cause::

    lash.run_turn failed (session s1, turn 4, attempt 3, will retry): provider 'openai':
    connection refused at http://127.0.0.1:9/v1

Anything else (a bug) keeps its traceback, and ``verbose`` keeps every traceback. JSON lines
(``log_format="json"`` or LASH_LOG_FORMAT=json) carry the same fields, one object per record.
Environment: LASH_LOG_LEVEL (default INFO), LASH_LOG_FORMAT (text|json), LASH_LOG_VERBOSE=1.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from temporalio.exceptions import ApplicationError

from checkpoint.errors import LashError

FAILED_MESSAGE = "Completing activity as failed"
"""How the SDK's activity worker words a failed attempt (temporalio/worker/_activity.py)."""
QUIET = ("httpx", "httpx2", "httpcore", "httpcore2", "openai")
"""HTTP stacks that log every request at INFO/DEBUG: a failure already says what matters."""
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class ActivityFailureFilter(logging.Filter):
    """Shortens the SDK's record of an expected activity failure to one line (see module)."""

    def __init__(self, *, verbose: bool = False) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        info = getattr(record, "temporal_activity", None)
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(info, dict) or exc is None or FAILED_MESSAGE not in str(record.msg):
            return True
        if not isinstance(exc, ApplicationError | LashError):
            return True  # unexpected: the traceback is what helps
        fields = _fields(info, exc)
        record.lash = fields
        record.msg, record.args = _line(fields), None
        if not self.verbose:
            record.exc_info, record.exc_text = None, None
        return True


def _fields(info: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    workflow_id = str(info.get("workflow_id") or "")
    turn = next((getattr(e, "turn_index", None) for e in _chain(exc)
                 if getattr(e, "turn_index", None) is not None), None)
    retryable = not getattr(exc, "non_retryable", False) and getattr(exc, "retryable", True)
    return {
        "activity": info.get("activity_type"),
        "session_id": workflow_id.removeprefix("lash-session/") or None,
        "turn_index": turn,
        "attempt": info.get("attempt"),
        "retryable": bool(retryable),
        "cause": " ".join(str(getattr(exc, "message", None) or exc).split()),
    }


def _line(fields: dict[str, Any]) -> str:
    where = [f"session {fields['session_id']}"] if fields["session_id"] else []
    if fields["turn_index"] is not None:
        where.append(f"turn {fields['turn_index']}")
    where.append(f"attempt {fields['attempt']}")
    where.append("will retry" if fields["retryable"] else "not retryable")
    return f"{fields['activity']} failed ({', '.join(where)}): {fields['cause']}"


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in out:
        out.append(link)
        link = link.__cause__ or link.__context__
    return out


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the failure's fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record), "level": record.levelname,
            "logger": record.name, "message": record.getMessage(),
            **getattr(record, "lash", {}),
        }
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_worker_logging(
    *, verbose: bool | None = None, log_format: str | None = None, default_level: str = "INFO",
) -> None:
    """Replace the root handlers with one on stderr that has the filter; ``log_format`` is
    "text" or "json"; None (or False for ``verbose``) reads the environment."""
    verbose = verbose or os.environ.get("LASH_LOG_VERBOSE", "") not in ("", "0")
    log_format = log_format or os.environ.get("LASH_LOG_FORMAT") or "text"
    json_lines = log_format.lower() == "json"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(ActivityFailureFilter(verbose=verbose))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(os.environ.get("LASH_LOG_LEVEL", default_level).upper())
    for name in QUIET:
        if not verbose:
            logging.getLogger(name).setLevel(logging.WARNING)


__all__ = ["ActivityFailureFilter", "JsonLines", "configure_worker_logging"]

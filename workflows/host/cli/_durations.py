"""Durations on the command line: ``30d``, ``12h``, ``90m``, ``45s``, ``2w`` (one number, one
unit), for ``gc --retention`` and ``sessions --since``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str, option: str) -> timedelta:
    """``text`` as a duration; a ValueError naming ``option`` and the accepted form otherwise."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None:
        raise ValueError(
            f"{option} {text!r} is not a duration: use a number and a unit, "
            "s, m, h, d or w (e.g. 30d, 12h)"
        )
    return timedelta(**{_UNITS[found[2]]: float(found[1])})


def duration_text(span: timedelta) -> str:
    """The largest unit that states ``span`` exactly: ``30d``, ``36h``, ``90s``."""
    seconds = span.total_seconds()
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


__all__ = ["duration_text", "parse_duration"]

"""JSON text as serde_json writes it: compact, and floats in ryu's spelling (spec §0).

serde_json formats an ``f64`` with ryu: the shortest digits that read back to the same float,
positional when ``1e-5 <= |x| < 1e16`` (integral values keep ``.0``: ``1.0``, ``0.00001``,
``1000000000000000.0``), scientific otherwise, with no ``+`` and no zero padding in the exponent
(``1e-6``, ``1.5e16``, ``1e300``). pydantic-core's writer (jiter) uses the same layout but writes
``e+16``; Python's ``json`` writes ``1e-05`` and ``1e+16``. So JSON text leaves the model through
pydantic-core and has its positive exponents fixed here: JSON text holds ``e+`` outside its
strings only as a float's exponent, and most documents hold no ``e+`` at all (one C search).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final

from pydantic_core import to_json

_EXPONENT_OR_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"|e\+')


def _keep_strings(match: re.Match[str]) -> str:
    token = match.group()
    return "e" if token == "e+" else token


def serde_json_text(text: str) -> str:
    """pydantic-core's JSON text with floats spelled as serde_json spells them."""
    if "e+" not in text:
        return text
    return _EXPONENT_OR_STRING.sub(_keep_strings, text)


def compact_json(value: Any) -> str:
    """``serde_json::to_string`` of a JSON value: no spaces, non-ASCII kept, ryu floats."""
    return serde_json_text(to_json(value).decode())


def ryu_float(value: float) -> str:
    """ryu's spelling of a finite float, from Python's shortest round-trip digits.

    The reference the writers above are tested against (ryu's ``pretty::format64``)."""
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int), "finite floats only"
    mantissa = "".join(map(str, digits)).rstrip("0") or "0"
    exponent += len(digits) - len(mantissa)  # the trailing zeros went into the exponent
    minus = "-" if sign else ""
    if mantissa == "0":
        return minus + "0.0"
    length = len(mantissa)
    point = length + exponent  # 10^(point-1) <= |value| < 10^point
    if exponent >= 0 and point <= 16:
        return f"{minus}{mantissa}{'0' * exponent}.0"
    if 0 < point <= 16:
        return f"{minus}{mantissa[:point]}.{mantissa[point:]}"
    if -5 < point <= 0:
        return f"{minus}0.{'0' * -point}{mantissa}"
    fraction = f".{mantissa[1:]}" if length > 1 else ""
    return f"{minus}{mantissa[0]}{fraction}e{point - 1}"

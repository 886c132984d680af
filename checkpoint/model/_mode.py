"""Mode-owned per-turn options and mode events (spec §7)."""

from __future__ import annotations

from ._serde import JsonValue, SerdeModel


class ModeTurnOptions(SerdeModel):
    """``{mode_id, payload}``. A missing ``payload`` reads as ``null`` (serde's Value default),
    while the Rust Default of the whole struct is ``{"mode_id":"standard","payload":{}}``."""

    mode_id: str
    payload: JsonValue = None

    @classmethod
    def default(cls) -> ModeTurnOptions:
        """``ModeTurnOptions::default()``: what a state without the key gets."""
        return cls(mode_id="standard", payload={})


class ModeEvent(SerdeModel):
    """A mode event node payload; both keys are required, ``payload`` may be ``null``."""

    mode_id: str
    payload: JsonValue

"""The store conformance suite: one abstract class, run whole by every backend.

A backend's test module subclasses ``StoreConformance`` and fills in ``open`` (a fresh store)
and ``damage_blob`` (flip a stored byte); every test then runs against it unchanged. Tests are
named for the rule they check; where a rule fixes a lash quirk, the docstring says which.
"""

from __future__ import annotations

from conformance_commits import CommitConformance
from conformance_effects import EffectConformance
from conformance_fork import ForkConformance
from conformance_head import HeadConformance
from conformance_listing import ListingConformance
from conformance_maintenance import MaintenanceConformance
from conformance_meta import MetaConformance


class StoreConformance(
    CommitConformance, EffectConformance, ForkConformance, HeadConformance,
    ListingConformance, MaintenanceConformance, MetaConformance,
):
    """Every rule, for one backend."""


__all__ = ["StoreConformance"]

"""Deterministic orchestration: the session workflow, the Temporal plugin and the CLI."""

"""The text of a benchmark turn: one 200-character user message and one 400-character reply.

Shared so that the store and Temporal benchmarks measure the same conversation; the sizes are
those of a short chat exchange, so a turn's fixed costs and its text are both in the figures.
"""

from __future__ import annotations

USER = ("The quick brown fox asks about durable agent sessions on Temporal. " * 4)[:200]
REPLY = ("A turn is durable once its commit lands; retries return the first receipt. " * 6)[:400]

"""The ``lash-temporal`` command: start a dev stack, run workers, talk to sessions, look inside.

``lash-temporal demo`` runs a scripted multi-turn session on a throw-away Temporal dev server with
no key and no running services; ``dev``, ``worker``, ``chat`` and ``show`` are the daily tools.
Expected failures (server or store unreachable, unknown session, no worker) end with one line on
stderr and exit code 1; usage errors are one line too and exit 2; Ctrl-C exits 130 (``dev``,
``worker`` and ``demo --keep``, which serve until told to stop, stop cleanly and exit 0); a
closed output pipe ends quietly with 141.
"""

from workflows.host.cli._main import main, run
from workflows.host.cli._parser import build_parser

__all__ = ["build_parser", "main", "run"]

"""Host code: what runs outside any workflow, and is never imported by workflow code.

``client`` (connect, send a message with update-with-start, read a session), ``worker`` (the one
worker runner: ``python -m workflows.host.worker`` and ``lash-temporal worker``), ``devserver``
(the bundled Temporal dev server) and ``cli`` (the ``lash-temporal`` command). Import the module
you need; this face imports nothing, so ``import workflows.host.client`` stays light.
"""

__all__: list[str] = []

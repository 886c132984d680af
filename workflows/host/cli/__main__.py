"""``python -m workflows.host.cli``: the same as the ``lash-temporal`` console script."""

from workflows.host.cli._main import main

main()

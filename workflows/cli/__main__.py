"""``python -m workflows.cli``: the same as the ``lash-temporal`` console script."""

from workflows.cli._main import main

main()

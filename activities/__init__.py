"""Everything with side effects: the ``run_turn`` activity, the agent loop, providers and tools.

Workflow code imports only ``activities.contract`` and ``activities.failures`` (activity
names and pure models; tests/unit/test_import_rules.py keeps it so); the rest runs on workers.
``activities.turn`` is the durable turn (``TurnActivities``, its journal, cache, usage and
ids); the providers it calls come from the worker's environment
(``activities.agent.providers.default_providers``). ``spec §N`` in docstrings is section N of
docs/spec/lash-domain.md.
"""

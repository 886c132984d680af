"""Everything with side effects: the ``run_turn`` activity, the agent loop, providers and tools.

Workflow code imports only ``activities.contract`` (pure models); the rest runs on workers.
``activities.turn.TurnActivities`` is the activity class; the providers it calls come from the
worker's environment (``activities.agent.providers.default_providers``).
"""

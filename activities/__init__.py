"""Everything with side effects: the ``run_turn`` activity, the agent loop, providers and tools."""

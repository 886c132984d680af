"""The agent runtime inside ``run_turn``: the standard-mode loop, providers, tools and plugins."""

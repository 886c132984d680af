"""Pure helpers of ``SessionWorkflow``: what code inside Temporal's sandbox may call.

Each module does no I/O, reads no clock but ``workflow.now()`` and holds no state between runs:
``children`` (sub-agent inputs and results), ``details`` (UI text), ``ledger`` (usage sums),
``search`` (search attribute keys) and ``turn_index`` (the published turn index). The plugin
passes the whole package through the sandbox (``SANDBOX_PASSTHROUGH``), so every run shares one
copy of each class; tests/unit/test_import_rules.py keeps it free of store and provider code.
"""

__all__: list[str] = []

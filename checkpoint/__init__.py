"""Durable session state: the lash session model, content-addressed blobs and the stores.

The bottom layer of lash-temporal. It imports nothing from ``activities`` or ``workflows``
(tests/unit/test_import_rules.py checks it), and ``checkpoint.model`` does no I/O.
``checkpoint.history`` rebuilds a session at any past turn from its workflow histories; it is
the one module here that reads Temporal's history format.

``spec §N`` in docstrings is section N of docs/spec/lash-domain.md (see docs/spec/README.md).
"""

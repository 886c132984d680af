"""Durable session state: the lash session model, content-addressed blobs and the stores.

The bottom layer of lash-temporal. It imports nothing from ``activities`` or ``workflows``;
only ``checkpoint.history`` knows Temporal's history format.
"""

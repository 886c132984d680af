"""``lash-temporal setup``: make a namespace and a store ready for sessions, idempotently.

Registers the ``Lash*`` search attributes on the namespace (skipping those already there) and
creates or migrates the store's schema (opening a store applies its pending migrations). The
compose file's one-shot ``setup`` service runs it; so can anyone with a cluster of their own.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.service import RPCError

from checkpoint.store import redact_url
from workflows.host.cli._access import connect_to, open_store_at
from workflows.host.cli._config import Target
from workflows.host.cli._errors import from_rpc
from workflows.sandbox.search import ALL_KEYS


async def setup(target: Target) -> str:
    """Register what is missing; the lines saying what was done."""
    lines = await _register_search_attributes(target)
    store = await open_store_at(target.store_url)
    await store.close()
    lines.append(f"store {redact_url(target.store_url)}: schema up to date")
    return "\n".join(lines)


async def _register_search_attributes(target: Target) -> list[str]:
    client = await connect_to(target)
    operator = client.operator_service
    try:
        listed = await operator.list_search_attributes(
            ListSearchAttributesRequest(namespace=target.namespace)
        )
        present = set(listed.custom_attributes) | set(listed.system_attributes)
        missing = {
            key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
            for key in ALL_KEYS
            if key.name not in present
        }
        if missing:
            await operator.add_search_attributes(
                AddSearchAttributesRequest(namespace=target.namespace, search_attributes=missing)
            )
    except RPCError as err:
        raise from_rpc(err, address=target.address) from err
    return [
        f"namespace {target.namespace!r}: search attribute {key.name} "
        + ("registered" if key.name in missing else "already registered")
        for key in ALL_KEYS
    ]

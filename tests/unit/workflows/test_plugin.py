"""The plugins by role: the client-side one transforms the converter, the worker-side one
registers the session workflow and activities."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    PayloadCodec,
)

from checkpoint.errors import ConfigError
from checkpoint.store import CheckpointStore, open_store
from workflows.payloads import is_ours
from workflows.plugin import LashPlugin, LashWorkerPlugin
from workflows.session import SessionWorkflow


class _Codec(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


@pytest.fixture
async def store() -> AsyncIterator[CheckpointStore]:
    opened = await open_store("memory://")
    yield opened
    await opened.close()


def _converter(existing: DataConverter | None) -> DataConverter:
    config = LashPlugin().configure_client({"data_converter": existing})  # type: ignore[typeddict-item]
    return config["data_converter"]


def test_the_client_plugin_keeps_a_users_codec_and_failure_converter() -> None:
    """Only the payload converter changes; codec and failure converter are the user's."""
    codec = _Codec()
    mine = DataConverter(
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
    got = _converter(mine)
    assert got.payload_converter_class is PydanticPayloadConverter
    assert got.payload_codec is codec
    assert got.failure_converter_class is DefaultFailureConverterWithEncodedAttributes


def test_the_client_plugin_gives_a_bare_client_the_pydantic_converter() -> None:
    """No converter (or the pydantic one already) becomes or stays the pydantic converter, with
    lash's external storage for large payloads added."""
    for existing in (None, pydantic_data_converter, DataConverter.default):
        got = _converter(existing)
        assert got.payload_converter_class is PydanticPayloadConverter
        assert is_ours(got.external_storage) and got.external_storage is not None
    assert pydantic_data_converter.external_storage is None  # the SDK's default is untouched


def test_a_custom_payload_converter_is_replaced_with_a_warning() -> None:
    """Session payloads must be pydantic JSON; replacing a custom converter is said aloud."""

    class Custom(DefaultPayloadConverter):
        pass

    with pytest.warns(UserWarning, match="Custom"):
        got = _converter(DataConverter(payload_converter_class=Custom))
    assert got.payload_converter_class is PydanticPayloadConverter


async def test_the_worker_plugin_registers_the_workflow_and_its_activities(
    store: CheckpointStore,
) -> None:
    """SessionWorkflow, run_turn, load_session_head and rewind_session, with stable names."""
    plugin = LashWorkerPlugin(store, execution_state_key=b"unit-test-key-0123456789")
    assert plugin.workflows == [SessionWorkflow]
    assert isinstance(plugin.activities, list)
    names = sorted(getattr(a, "__temporal_activity_definition").name for a in plugin.activities)
    assert names == ["lash.load_session_head", "lash.rewind_session", "lash.run_turn"]


async def test_the_worker_plugin_refuses_to_exist_without_a_signing_key(
    store: CheckpointStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key given and none in the environment: a ConfigError naming the variable."""
    monkeypatch.delenv("LASH_EXECUTION_STATE_KEY", raising=False)
    with pytest.raises(ConfigError, match="LASH_EXECUTION_STATE_KEY"):
        LashWorkerPlugin(store)

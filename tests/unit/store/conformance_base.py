"""The abstract part of the store conformance suite: how a backend opens and damages a store."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any

import pytest

from checkpoint.store import CheckpointStore


class StoreHarness(ABC):
    """A backend's test class fills in ``open`` and ``damage_blob``; nothing else."""

    @abstractmethod
    async def open(self, **options: Any) -> CheckpointStore:
        """A fresh, empty, set-up store (options go to ``make_store``)."""

    @abstractmethod
    async def damage_blob(self, store: CheckpointStore, ref: str, index: int) -> None:
        """Flip one bit of the stored bytes of blob ``ref`` at byte ``index``."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[CheckpointStore]:
        opened = await self.open()
        try:
            yield opened
        finally:
            await opened.close()

"""A PrismaSessionStore on the real test database, with its clock, its
query counter and its log at hand."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from prisma_session_store import PrismaSessionStore
from tests.helpers import CountingClient, FakeClock, RecordingLogger


@dataclass
class Harness:
    store: PrismaSessionStore
    client: CountingClient
    logger: Any
    clock: FakeClock
    prisma: Any

    @property
    def calls(self) -> list[str]:
        return self.client.calls

    async def insert(self, sid: str, session: dict[str, Any], *, expires_in: float) -> None:
        """A row written behind the store's back, expiring ``expires_in`` s from now."""
        await self.prisma.session.create(
            data={
                "id": f"id-{sid}",
                "sid": sid,
                "data": json.dumps(session),
                "expiresAt": self.clock.now + timedelta(seconds=expires_in),
            }
        )

    async def row(self, sid: str) -> Any:
        return await self.prisma.session.find_unique(where={"sid": sid})

    async def expires_at(self, sid: str) -> datetime:
        row = await self.row(sid)
        assert row is not None, f"no row for {sid}"
        return row.expiresAt  # type: ignore[no-any-return]


MakeStore = Callable[..., Harness]


@pytest.fixture
async def make_store(prisma: Any) -> AsyncIterator[MakeStore]:
    """Build stores on the test database; each is shut down after the test."""
    stores: list[PrismaSessionStore] = []

    def make(*, attribute: str = "session", **options: Any) -> Harness:
        client = CountingClient(prisma, attribute=attribute)
        clock = options.pop("clock", None) or FakeClock()
        logger = options.pop("logger", RecordingLogger())
        options.setdefault("logger_level", ("error", "warning", "info"))
        if attribute != "session":
            options["session_model_name"] = attribute
        store = PrismaSessionStore(client, clock=clock, logger=logger, **options)
        stores.append(store)
        return Harness(store, client, logger, clock, prisma)

    yield make
    for store in stores:
        await store.shutdown()

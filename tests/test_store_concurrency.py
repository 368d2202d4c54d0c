"""Concurrent calls on one session id: what the Node store gets wrong
(dropped writes, unique violations, record-not-found errors) must not
happen here."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime, timezone

import pytest

from prisma_session_store import PrismaSessionStore
from tests.conftest import Database
from tests.store_harness import MakeStore

LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)
CONCURRENT = pytest.mark.parametrize("concurrent", [False, True], ids=["queued", "free"])


@CONCURRENT
async def test_fifty_concurrent_sets_on_one_sid(make_store: MakeStore, concurrent: bool) -> None:
    h = make_store(enable_concurrent_set_invocations_for_same_session_id=concurrent)
    written = [{"writer": index, "payload": "x" * index} for index in range(50)]
    await asyncio.gather(*(h.store.set("sid-0", session) for session in written))
    rows = await h.prisma.session.find_many(where={"sid": "sid-0"})
    assert len(rows) == 1
    assert json.loads(rows[0].data) in written
    assert h.calls.count("upsert") >= 50  # none dropped (a retry may add one)


async def test_queued_sets_run_one_after_another_in_call_order(make_store: MakeStore) -> None:
    h = make_store()
    h.client.delegate.delay = 0.005  # widen the window in which calls could overlap
    await asyncio.gather(*(h.store.set("sid-0", {"n": index}) for index in range(10)))
    assert h.client.delegate.max_active == 1
    assert await h.store.get("sid-0") == {"n": 9}  # the last call made is the last write


async def test_free_sets_overlap(make_store: MakeStore) -> None:
    h = make_store(enable_concurrent_set_invocations_for_same_session_id=True)
    h.client.delegate.delay = 0.005
    await asyncio.gather(*(h.store.set("sid-0", {"n": index}) for index in range(10)))
    assert h.client.delegate.max_active > 1


async def test_queued_touches_run_one_after_another(make_store: MakeStore) -> None:
    h = make_store(ttl=60)
    await h.insert("sid-0", {}, expires_in=10)
    h.client.delegate.delay = 0.005
    await asyncio.gather(*(h.store.touch("sid-0", {}) for _ in range(10)))
    assert h.client.delegate.max_active == 1
    assert h.calls == ["update_many"] * 10


async def test_different_sids_are_not_queued_behind_each_other(make_store: MakeStore) -> None:
    h = make_store()
    h.client.delegate.delay = 0.005
    await asyncio.gather(*(h.store.set(f"sid-{index}", {"n": index}) for index in range(10)))
    assert h.client.delegate.max_active > 1
    assert await h.store.length() == 10


@CONCURRENT
async def test_mixed_operations_on_one_sid_raise_nothing(
    make_store: MakeStore, concurrent: bool
) -> None:
    h = make_store(
        enable_concurrent_set_invocations_for_same_session_id=concurrent,
        enable_concurrent_touch_invocations_for_same_session_id=concurrent,
        stale=True,
    )
    rng = random.Random(7)
    operations = []
    for index in range(80):
        kind = rng.choice(["set", "touch", "destroy", "get"])
        if kind == "set":
            operations.append(h.store.set("sid-0", {"n": index}))
        elif kind == "touch":
            operations.append(h.store.touch("sid-0", {"n": index}))
        elif kind == "destroy":
            operations.append(h.store.destroy("sid-0"))
        else:
            operations.append(h.store.get("sid-0"))
    results = await asyncio.gather(*operations, return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert await h.prisma.session.count(where={"sid": "sid-0"}) <= 1


async def test_concurrent_gets_of_an_expired_session_return_it_once_with_stale(
    make_store: MakeStore,
) -> None:
    h = make_store(stale=True)
    await h.insert("sid-0", {"last": True}, expires_in=-1)
    results = await asyncio.gather(*(h.store.get("sid-0") for _ in range(10)))
    assert results.count({"last": True}) == 1
    assert results.count(None) == 9


async def test_instances_on_separate_clients_set_one_sid_at_once(database: Database) -> None:
    """Two app processes (two engines) writing the same new session: no
    unique violation, one row, one of the values."""
    clients = [database.new_client() for _ in range(3)]
    stores = [PrismaSessionStore(client) for client in clients]
    try:
        await asyncio.gather(*(client.connect() for client in clients))
        await database.client.session.delete_many()
        writes = [
            store.set("shared", {"from": index, "round": attempt})
            for attempt in range(5)
            for index, store in enumerate(stores)
        ]
        await asyncio.gather(*writes)
        rows = await database.client.session.find_many(where={"sid": "shared"})
        assert len(rows) == 1
    finally:
        for client in clients:
            await client.disconnect()


async def test_several_instances_prune_at_once(database: Database) -> None:
    clients = [database.new_client() for _ in range(3)]
    stores = [PrismaSessionStore(client) for client in clients]
    try:
        await asyncio.gather(*(client.connect() for client in clients))
        await database.client.session.delete_many()
        # expiresAt in 2000: long gone for the stores' real clocks
        await database.client.session.create_many(
            data=[
                {"id": f"id-{n}", "sid": f"sid-{n}", "data": "{}", "expiresAt": LONG_AGO}
                for n in range(300)
            ]
        )
        removed = await asyncio.gather(*(store.prune() for store in stores for _ in range(3)))
        assert sum(removed) == 300
        assert await database.client.session.count() == 0
    finally:
        for client in clients:
            await client.disconnect()

"""The per-key FIFO lock (pure logic, no database)."""

from __future__ import annotations

import asyncio

import pytest

from prisma_session_store._keyed_lock import KeyedLock


async def test_one_key_runs_in_call_order_and_never_overlaps() -> None:
    lock = KeyedLock()
    order: list[int] = []
    inside = 0

    async def work(index: int) -> None:
        nonlocal inside
        async with lock.hold("sid"):
            inside += 1
            assert inside == 1
            await asyncio.sleep(0)
            order.append(index)
            inside -= 1

    await asyncio.gather(*(work(index) for index in range(20)))
    assert order == list(range(20))


async def test_different_keys_do_not_wait_for_each_other() -> None:
    lock = KeyedLock()
    all_inside = asyncio.Event()
    entered: list[str] = []

    async def hold(key: str) -> None:
        async with lock.hold(key):
            entered.append(key)
            if len(entered) == 3:
                all_inside.set()
            # each holder waits for the others: only possible if none blocks
            await asyncio.wait_for(all_inside.wait(), timeout=5)

    await asyncio.gather(*(hold(key) for key in ("a", "b", "c")))
    assert sorted(entered) == ["a", "b", "c"]


async def test_entries_are_dropped_when_unused() -> None:
    lock = KeyedLock()
    async with lock.hold("sid"):
        assert len(lock) == 1
    assert len(lock) == 0


async def test_an_error_inside_releases_the_key() -> None:
    lock = KeyedLock()

    async def fail_inside() -> None:
        async with lock.hold("sid"):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_inside()
    async with lock.hold("sid"):
        pass
    assert len(lock) == 0

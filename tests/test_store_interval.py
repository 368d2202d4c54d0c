"""The automatic prune (check_period): runs on its own, can be stopped and
started again, reports its errors, never outlives shutdown()."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from prisma_session_store import PrismaSessionStore
from prisma_session_store._interval import JITTER, PruneInterval
from tests.conftest import ROOT, Database, ddl_statements
from tests.store_harness import MakeStore

PERIOD = 0.02  # seconds: the tests wait for events, never for a fixed time


def interval_tasks() -> list[asyncio.Task[Any]]:
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name() == "prisma-session-store prune interval" and not task.done()
    ]


async def wait_until(condition: Callable[[], Awaitable[bool]], timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(PERIOD)


class Pruned:
    """A dispose callback that lets a test wait for the next automatic prune."""

    def __init__(self) -> None:
        self.sids: list[str] = []
        self.event = asyncio.Event()

    def __call__(self, sid: str, session: dict[str, Any]) -> None:
        self.sids.append(sid)
        self.event.set()

    async def wait(self) -> None:
        await asyncio.wait_for(self.event.wait(), timeout=15)
        self.event.clear()


async def test_check_period_prunes_expired_sessions_on_its_own(make_store: MakeStore) -> None:
    pruned = Pruned()
    h = make_store(check_period=PERIOD, dispose=pruned)
    await h.insert("expired", {}, expires_in=-1)
    await h.insert("live", {}, expires_in=60)
    await h.store.length()  # first use starts the interval
    await pruned.wait()
    assert pruned.sids == ["expired"]
    assert await h.row("live") is not None


async def test_no_check_period_no_interval(make_store: MakeStore) -> None:
    h = make_store()
    await h.store.length()
    assert interval_tasks() == []
    with pytest.raises(ValueError, match="check_period"):
        await h.store.start_interval()


async def test_check_period_zero_is_off(make_store: MakeStore) -> None:
    h = make_store(check_period=0)
    await h.store.length()
    assert interval_tasks() == []


async def test_interval_can_be_stopped_and_started_again(make_store: MakeStore) -> None:
    pruned = Pruned()
    h = make_store(check_period=PERIOD, dispose=pruned)
    await h.insert("first", {}, expires_in=-1)
    await h.store.start_interval()
    await pruned.wait()
    await h.store.stop_interval()
    assert interval_tasks() == []
    await h.store.length()  # use after an explicit stop does not restart it
    assert interval_tasks() == []
    await h.insert("second", {}, expires_in=-1)
    await h.store.start_interval()
    await h.store.start_interval()  # starting a running interval changes nothing
    assert len(interval_tasks()) == 1
    await pruned.wait()
    assert pruned.sids == ["first", "second"]


async def test_interval_errors_go_to_the_handler_and_pruning_goes_on(
    make_store: MakeStore,
) -> None:
    errors: list[Exception] = []
    h = make_store(check_period=PERIOD)
    h.client.delegate.fail_next["delete_many"] = RuntimeError("database is down")
    await h.insert("expired", {}, expires_in=-1)
    unhandled: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda loop, context: unhandled.append(context)
    )
    try:
        await h.store.start_interval(on_interval_error=errors.append)
        await wait_until(lambda: _gone(h, "expired"))
    finally:
        asyncio.get_running_loop().set_exception_handler(None)
    assert [str(error) for error in errors] == ["database is down"]
    assert unhandled == []


async def _gone(h: Any, sid: str) -> bool:
    return await h.row(sid) is None


async def test_interval_errors_are_logged_without_a_handler(make_store: MakeStore) -> None:
    h = make_store(check_period=PERIOD)
    h.client.delegate.fail_next["delete_many"] = RuntimeError("database is down")
    await h.insert("expired", {}, expires_in=-1)
    await h.store.start_interval()
    await wait_until(lambda: _gone(h, "expired"))
    assert h.logger.messages("error") == ["prune (interval): RuntimeError: database is down"]


async def test_a_failing_error_handler_is_reported(make_store: MakeStore) -> None:
    async def handler(error: Exception) -> None:
        raise ValueError("handler broke")

    h = make_store(check_period=PERIOD)
    h.client.delegate.fail_next["delete_many"] = RuntimeError("database is down")
    await h.insert("expired", {}, expires_in=-1)
    await h.store.start_interval(on_interval_error=handler)
    await wait_until(lambda: _gone(h, "expired"))
    assert h.logger.messages("error") == [
        "the interval's error handler raised ValueError('handler broke') "
        "for RuntimeError('database is down')"
    ]


async def test_shutdown_stops_the_interval(make_store: MakeStore) -> None:
    h = make_store(check_period=PERIOD)
    await h.store.length()
    assert len(interval_tasks()) == 1
    await h.store.shutdown()
    assert interval_tasks() == []


async def test_async_with_starts_and_stops_the_interval(database: Database) -> None:
    async with PrismaSessionStore(database.new_client(), check_period=3600):
        assert len(interval_tasks()) == 1
    assert interval_tasks() == []


@pytest.mark.parametrize("shutdown", [True, False], ids=["shutdown", "no-shutdown"])
def test_the_interval_does_not_keep_the_process_alive(tmp_path: Path, shutdown: bool) -> None:
    path = tmp_path / "sessions.db"
    with sqlite3.connect(path) as db:
        for statement in ddl_statements("sqlite"):
            db.execute(statement)
    script = textwrap.dedent(
        f"""
        import asyncio
        from prisma_test_sqlite import Prisma
        from prisma_session_store import PrismaSessionStore

        async def main():
            store = PrismaSessionStore(
                Prisma(datasource={{"url": "file:{path}"}}), check_period=3600
            )
            await store.length()
            if {shutdown}:
                await store.shutdown()

        asyncio.run(main())
        print("exited")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / ".generated")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exited"


# -- the jitter (pure logic: a fake sleep records the waits) -------------------------


async def test_waits_are_jittered_around_the_period() -> None:
    waits: list[float] = []
    runs = 0

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) > 50:
            raise asyncio.CancelledError
        await asyncio.sleep(0)

    async def prune() -> None:
        nonlocal runs
        runs += 1

    interval = PruneInterval(period=10, prune=prune, on_error=print, report=print, sleep=sleep)
    interval.start()
    await wait_until(lambda: _done(interval))
    assert runs == 50
    assert all(10 * (1 - JITTER) <= wait <= 10 * (1 + JITTER) for wait in waits)
    assert len(set(waits)) > 40


async def _done(interval: PruneInterval) -> bool:
    return not interval.running

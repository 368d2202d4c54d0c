"""The database goes away while the app runs: a private PostgreSQL instance
is crashed and restarted, and a SQLite file is locked by another writer.

Session requests fail fast with an error response and a logged reason while
the database is unavailable, succeed again afterwards without restarting the
app, and no row is left half-written."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from prisma_session_store import PrismaSessionStore
from tests.conftest import client_module, ddl_statements
from tests.reliability_harness import (
    PostgresInstance,
    report,
    served_client,
    session_app,
    set_cookie_value,
    sid_of,
)

REQUEST_BOUND = 10  # seconds: a request that takes longer counts as a hang
RECOVERY_BOUND = 30  # seconds to wait for the database to answer again


def _logged_failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info is not None]


async def _rows(client: Any) -> dict[str, Any]:
    return {row.sid: json.loads(row.data) for row in await client.session.find_many()}


async def _timed(request: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def _until_ok(http: httpx.AsyncClient, cookie: str) -> float:
    """Seconds until a session read succeeds again."""
    started = time.monotonic()
    while True:
        response = await http.get("/read", headers={"cookie": f"session={cookie}"})
        if response.status_code == 200:
            return time.monotonic() - started
        assert time.monotonic() - started < RECOVERY_BOUND, "the app did not recover"
        await asyncio.sleep(0.05)


async def _fail_while_down(
    http: httpx.AsyncClient, cookie: str, tokens: set[str]
) -> list[tuple[float, float]]:
    """Session requests while the database is down: each must be a 500.
    Returns (duration, end time) of each."""
    timings = []
    for attempt in range(3):
        token = f"down-{attempt}"
        tokens.add(token)
        for call in (
            http.get("/read", headers={"cookie": f"session={cookie}"}),
            http.post("/incr", params={"token": token}),  # a new session
        ):
            response, took = await _timed(call)
            assert response.status_code == 500
            timings.append((took, time.monotonic()))
        # A request that does not use the session needs no database.
        assert (await http.get("/health")).status_code == 200
    return timings


@pytest.fixture
async def private_postgres() -> AsyncIterator[PostgresInstance]:
    instance = PostgresInstance()
    try:
        await asyncio.to_thread(instance.init)
        await asyncio.to_thread(instance.start)
        yield instance
    finally:
        await asyncio.to_thread(instance.remove)


async def test_postgresql_crash_and_restart(
    private_postgres: PostgresInstance,
    caplog: pytest.LogCaptureFixture,
    record_property: Any,
    request: pytest.FixtureRequest,
) -> None:
    caplog.set_level(logging.ERROR)
    module = client_module("postgresql")
    prisma = module.Prisma(datasource={"url": f"{private_postgres.url}?connect_timeout=2"})
    await prisma.connect()
    for statement in ddl_statements("postgresql"):
        await prisma.execute_raw(statement)
    store = PrismaSessionStore(prisma)
    try:
        async with served_client(session_app(store)) as http:
            http.timeout = httpx.Timeout(REQUEST_BOUND)
            first = await http.post("/incr", params={"token": "before"})
            cookie = set_cookie_value(first)
            assert cookie
            tokens = {"before"}

            # Crash the server while writes are in flight.
            async def write(token: str) -> httpx.Response:
                tokens.add(token)
                return await http.post(
                    "/incr", params={"token": token}, headers={"cookie": f"session={cookie}"}
                )

            burst = [asyncio.ensure_future(write(f"burst-{i}")) for i in range(16)]
            await asyncio.sleep(0.02)
            stopped_at = time.monotonic()
            await asyncio.to_thread(private_postgres.stop, "immediate")
            await asyncio.gather(*burst)

            # Down: every session request fails fast with a 500 and a logged reason.
            caplog.clear()
            timings = await _fail_while_down(http, cookie, tokens)
            first_failure = timings[0][1] - stopped_at
            durations = [took for took, _ in timings]
            failures = _logged_failures(caplog)
            assert len(failures) >= len(durations)
            assert any("saving session" in r.getMessage() for r in failures)

            # Back: the same app and client work again.
            await asyncio.to_thread(private_postgres.start)
            recovery = await _until_ok(http, cookie)
            again = await http.post(
                "/incr", params={"token": "after"}, headers={"cookie": f"session={cookie}"}
            )
            assert again.status_code == 200
            tokens.add("after")
            fresh = await http.post("/incr", params={"token": "after-new"})
            assert fresh.status_code == 200
            tokens.add("after-new")

        rows = await _rows(prisma)
        # No half-written row: each is a whole session that a request wrote.
        for data in rows.values():
            assert isinstance(data, dict)
            assert data["by"] in tokens
            assert not str(data["by"]).startswith("down-")
        assert rows[sid_of(cookie)]["by"] == "after"
    finally:
        await store.shutdown()
        await prisma.disconnect()

    record_property("outage_detected_s", round(first_failure, 3))
    record_property("failing_request_max_s", round(max(durations), 3))
    record_property("recovery_s", round(recovery, 3))
    report(
        request.config,
        f"outage, postgresql (crash, pg_ctl -m immediate): first failed response "
        f"{first_failure:.3f} s after the stop, failing requests took at most "
        f"{max(durations):.3f} s ({len(durations)} of them, all 500), "
        f"first success {recovery:.3f} s after the restart",
    )


@pytest.fixture
async def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "locked.db"
    with sqlite3.connect(path) as db:
        for statement in ddl_statements("sqlite"):
            db.execute(statement)
    return path


async def test_sqlite_file_locked_by_another_writer(
    sqlite_file: Path,
    caplog: pytest.LogCaptureFixture,
    record_property: Any,
    request: pytest.FixtureRequest,
) -> None:
    caplog.set_level(logging.ERROR)
    module = client_module("sqlite")
    # socket_timeout is the engine's SQLite busy timeout, in seconds.
    prisma = module.Prisma(datasource={"url": f"file:{sqlite_file}?socket_timeout=1"})
    store = PrismaSessionStore(prisma)
    blocker = sqlite3.connect(sqlite_file, isolation_level=None)
    try:
        async with store, served_client(session_app(store)) as http:
            http.timeout = httpx.Timeout(REQUEST_BOUND)
            first = await http.post("/incr", params={"token": "before"})
            cookie = set_cookie_value(first)
            assert cookie
            headers = {"cookie": f"session={cookie}"}

            # Held for longer than the busy timeout: a clear error.
            blocker.execute("BEGIN EXCLUSIVE")
            blocker.execute("UPDATE Session SET data = '{\"half' ")  # never committed
            caplog.clear()
            durations = []
            for call in (
                http.get("/read", headers=headers),
                http.post("/incr", params={"token": "locked"}, headers=headers),
                http.post("/incr", params={"token": "locked-new"}),
            ):
                response, took = await _timed(call)
                assert response.status_code == 500
                durations.append(took)
            failures = _logged_failures(caplog)
            assert len(failures) >= len(durations)
            reasons = " ".join(str(r.exc_info[1]) for r in failures if r.exc_info)
            assert "Timed out during query execution" in reasons
            blocker.execute("ROLLBACK")

            # Released within the busy timeout: the request waits and succeeds.
            blocker.execute("BEGIN EXCLUSIVE")
            pending = asyncio.ensure_future(
                _timed(http.post("/incr", params={"token": "retried"}, headers=headers))
            )
            await asyncio.sleep(0.3)
            blocker.execute("ROLLBACK")
            retried, retry_took = await pending
            assert retried.status_code == 200
            assert retried.json()["n"] == 2

        assert blocker.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = dict(blocker.execute("SELECT sid, data FROM Session").fetchall())
        assert {sid: json.loads(data) for sid, data in rows.items()} == {
            sid_of(cookie): {**json.loads(rows[sid_of(cookie)]), "n": 2, "by": "retried"}
        }
    finally:
        blocker.close()
        if prisma.is_connected():
            await prisma.disconnect()

    record_property("locked_request_max_s", round(max(durations), 3))
    record_property("retry_s", round(retry_took, 3))
    report(
        request.config,
        f"outage, sqlite (BEGIN EXCLUSIVE by another connection, busy timeout 1 s): "
        f"failing requests took at most {max(durations):.3f} s (all 500); a request "
        f"released after 0.3 s succeeded in {retry_took:.3f} s; integrity_check ok",
    )

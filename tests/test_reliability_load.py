"""Load on one session through a real uvicorn server: 32 concurrent requests,
5 rounds, on a live session and on one that expires during the run.

Where the Node store drops writes and answers 500s (its issue 88), every
request here must get a 200, nothing may be logged as an error, and each
stored session must hold a value that one of the requests wrote (last
writer wins)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest

from tests.conftest import Database
from tests.reliability_harness import report, served_client, session_app, set_cookie_value, sid_of
from tests.store_harness import Harness, MakeStore

CONCURRENCY = 32
ROUNDS = 5
MAX_AGE = 60  # seconds of the store's (fake) clock


async def _round(
    client: httpx.AsyncClient, cookie: str, tag: str, on_response: Any = None
) -> list[httpx.Response]:
    async def one(index: int) -> httpx.Response:
        response = await client.get(
            "/incr", params={"token": f"{tag}-{index}"}, headers={"cookie": f"session={cookie}"}
        )
        if on_response is not None:
            on_response()
        return response

    return list(await asyncio.gather(*(one(index) for index in range(CONCURRENCY))))


async def _stored(h: Harness) -> dict[str, dict[str, Any]]:
    rows = await h.prisma.session.find_many()
    return {row.sid: json.loads(row.data) for row in rows}


def _assert_written_by_a_request(
    stored: dict[str, dict[str, Any]], written: dict[str, int]
) -> None:
    """Every stored session is exactly what one request wrote."""
    for data in stored.values():
        assert data["by"] in written, data
        assert data["n"] == written[data["by"]], data


def _errors(caplog: pytest.LogCaptureFixture, h: Harness) -> list[str]:
    logged = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    return logged + h.logger.messages("error")


async def test_concurrent_requests_on_a_live_session(
    make_store: MakeStore,
    database: Database,
    caplog: pytest.LogCaptureFixture,
    record_property: Any,
    request: pytest.FixtureRequest,
) -> None:
    h = make_store()
    caplog.set_level(logging.WARNING)
    statuses: list[int] = []
    written: dict[str, int] = {}
    async with served_client(session_app(h.store, max_age=MAX_AGE)) as client:
        first = await client.get("/incr", params={"token": "init"})
        statuses.append(first.status_code)
        written["init"] = first.json()["n"]
        cookie = set_cookie_value(first)
        assert cookie
        for number in range(ROUNDS):
            responses = await _round(client, cookie, f"r{number}")
            statuses += [response.status_code for response in responses]
            round_written = {r.json()["by"]: r.json()["n"] for r in responses}
            written.update(round_written)
            # The session keeps its id: any cookie sent back is the same one.
            assert {set_cookie_value(r) for r in responses} <= {None, cookie}
            stored = await _stored(h)
            assert list(stored) == [sid_of(cookie)]
            # Last writer wins: the row holds one of this round's writes.
            assert stored[sid_of(cookie)]["by"] in round_written
            _assert_written_by_a_request(stored, written)

    errors = [status for status in statuses if status != 200]
    logged = _errors(caplog, h)
    upserts = h.calls.count("upsert")
    record_property("requests", len(statuses))
    record_property("errors", len(errors))
    report(
        request.config,
        f"load, live session, {database.name}: {len(statuses)} requests, {len(errors)} non-200, "
        f"{len(logged)} logged errors, {upserts} upserts",
    )
    assert errors == []
    assert logged == []


async def test_concurrent_requests_on_a_session_that_expires_during_the_run(
    make_store: MakeStore,
    database: Database,
    caplog: pytest.LogCaptureFixture,
    record_property: Any,
    request: pytest.FixtureRequest,
) -> None:
    h = make_store()
    caplog.set_level(logging.WARNING)
    statuses: list[int] = []
    written: dict[str, int] = {}
    renewed = 0
    async with served_client(session_app(h.store, max_age=MAX_AGE)) as client:
        first = await client.get("/incr", params={"token": "init"})
        statuses.append(first.status_code)
        written["init"] = first.json()["n"]
        cookie = set_cookie_value(first)
        assert cookie
        for number in range(ROUNDS):
            answered = 0

            def expire_midway() -> None:
                # The session expires while the round's requests are in
                # flight: once a quarter of them have been answered.
                nonlocal answered
                answered += 1
                if answered == CONCURRENCY // 4:
                    h.clock.advance(MAX_AGE + 1)

            on_response = expire_midway if number in (1, 3) else None
            responses = await _round(client, cookie, f"r{number}", on_response)
            statuses += [response.status_code for response in responses]
            written.update({r.json()["by"]: r.json()["n"] for r in responses})
            _assert_written_by_a_request(await _stored(h), written)
            # Continue as a browser would: with the last cookie it was sent.
            new_cookies = [set_cookie_value(r) for r in responses]
            fresh = [value for value in new_cookies if value and value != cookie]
            renewed += len(fresh)
            if fresh:
                cookie = fresh[-1]
            assert await h.row(sid_of(cookie)) is not None

    errors = [status for status in statuses if status != 200]
    logged = _errors(caplog, h)
    record_property("requests", len(statuses))
    record_property("errors", len(errors))
    report(
        request.config,
        f"load, expiring session, {database.name}: {len(statuses)} requests, "
        f"{len(errors)} non-200, {len(logged)} logged errors, "
        f"{renewed} responses started a fresh session after expiry",
    )
    # The expiry happened and was noticed: some requests got a fresh session.
    assert renewed > 0
    assert errors == []
    assert logged == []

"""Many requests at once on one session: no error, no lost row."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import Database
    from tests.middleware_harness import AppHarness, MakeApp

CONCURRENT = 32
DAY = 24 * 60 * 60


def assert_nothing_logged(h: AppHarness, caplog: pytest.LogCaptureFixture) -> None:
    assert h.store.logger.records == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_32_concurrent_writes_on_one_session(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture, database: Database
) -> None:
    h = make_app()
    value, sid = await h.start()
    h.store.client.delegate.reset()
    responses = await asyncio.gather(
        *(h.client.get("/incr", headers={"cookie": f"session={value}"}) for _ in range(CONCURRENT))
    )
    assert [r.status_code for r in responses] == [200] * CONCURRENT
    assert all(2 <= r.json()["count"] <= CONCURRENT + 1 for r in responses)
    assert {h.session_cookie(r).value for r in responses} == {value}
    # Requests that read the same count write the same row, and the clock stands
    # still: MySQL reports such an UPDATE as 0 rows, and the store reads the
    # row once more to tell it from a deleted one.
    rereads = h.calls.count("find_unique") - CONCURRENT
    assert h.calls.count("update_many") == CONCURRENT
    if database.name == "mysql":
        assert 0 <= rereads < CONCURRENT
    else:
        assert rereads == 0
    assert await h.store.store.ids() == [sid]
    stored = await h.stored(sid)
    assert stored is not None
    # The last write wins; the row holds one of the counts the requests saw.
    assert stored["count"] in {r.json()["count"] for r in responses}
    assert_nothing_logged(h, caplog)


async def test_32_concurrent_mixed_requests_on_one_session(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_app()
    value, sid = await h.start()
    h.store.clock.advance(2 * DAY)  # touches are due as well
    paths = ["/read", "/incr", "/nested?item=x", "/plain"] * (CONCURRENT // 4)
    responses = await asyncio.gather(
        *(h.client.get(path, headers={"cookie": f"session={value}"}) for path in paths)
    )
    assert [r.status_code for r in responses] == [200] * CONCURRENT
    stored = await h.stored(sid)
    assert stored is not None
    del stored["cookie"]
    # Last write wins: the row holds exactly what one writing request saved.
    writes = zip(paths, responses, strict=True)
    written = [r.json() for path, r in writes if path.startswith(("/incr", "/nested"))]
    assert stored in written
    assert await h.store.expires_at(sid) == h.store.clock.now + timedelta(days=14)
    assert_nothing_logged(h, caplog)


async def test_32_concurrent_new_sessions_get_32_ids(make_app: MakeApp) -> None:
    h = make_app()
    responses = await asyncio.gather(*(h.client.get("/incr") for _ in range(CONCURRENT)))
    assert [r.status_code for r in responses] == [200] * CONCURRENT
    sids = {h.sid_of(h.session_cookie(r).value) for r in responses}
    assert len(sids) == CONCURRENT
    assert set(await h.store.store.ids()) == sids


async def test_32_concurrent_logins_from_one_session(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_app()
    value, sid = await h.start()
    responses = await asyncio.gather(
        *(
            h.client.post(f"/login?user=u{index}", headers={"cookie": f"session={value}"})
            for index in range(CONCURRENT)
        )
    )
    assert [r.status_code for r in responses] == [200] * CONCURRENT
    new_sids = {h.sid_of(h.session_cookie(r).value) for r in responses}
    assert len(new_sids) == CONCURRENT
    assert sid not in new_sids
    assert await h.store.row(sid) is None
    assert set(await h.store.store.ids()) == new_sids
    assert_nothing_logged(h, caplog)

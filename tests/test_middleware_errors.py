"""Store failures and server errors: a failed load is the app's error, a
failed save is logged and answered with 500, and a 5xx saves nothing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.middleware_harness import MakeApp

DAY = 24 * 60 * 60


def saving_failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "prisma_session_store" and "failed" in record.getMessage()
    ]


async def test_a_failed_load_is_the_apps_error_not_a_logout(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    outage = RuntimeError("database is down")
    h.store.client.delegate.fail_next["find_unique"] = outage
    response = await h.get("/read", cookie=value)
    assert response.status_code == 500
    assert response.json() == {"error": "RuntimeError", "message": "database is down"}
    assert h.errors == [outage]  # the app's error handler saw the store's exception
    assert "set-cookie" not in response.headers  # the browser keeps its cookie
    # Once the database answers again, the same cookie opens the same session.
    after = await h.get("/read", cookie=value)
    assert after.json() == {"count": 1}
    assert await h.stored(sid) is not None


async def test_a_failed_save_is_logged_and_answered_with_500(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_app()
    value, sid = await h.start()
    h.store.client.delegate.fail_next["update_many"] = RuntimeError("write refused")
    with caplog.at_level(logging.ERROR, logger="prisma_session_store"):
        response = await h.get("/incr", cookie=value)
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert "set-cookie" not in response.headers
    [record] = saving_failures(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    message = record.getMessage()
    assert sid[:6] in message
    assert sid not in message  # log lines carry a redacted id only
    stored = await h.stored(sid)
    assert stored is not None
    assert stored["count"] == 1


async def test_a_failed_save_of_a_new_session_sends_no_cookie(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_app()
    h.store.client.delegate.fail_next["upsert"] = RuntimeError("write refused")
    with caplog.at_level(logging.ERROR, logger="prisma_session_store"):
        response = await h.get("/incr")
    assert response.status_code == 500
    assert "set-cookie" not in response.headers
    assert len(saving_failures(caplog)) == 1
    assert await h.store.store.length() == 0


async def test_a_failed_touch_is_logged_and_answered_with_500(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_app()
    value, _ = await h.start()
    h.store.clock.advance(2 * DAY)
    h.store.client.delegate.fail_next["update_many"] = RuntimeError("touch refused")
    with caplog.at_level(logging.ERROR, logger="prisma_session_store"):
        response = await h.get("/read", cookie=value)
    assert response.status_code == 500
    assert h.calls == ["find_unique", "update_many"]
    assert len(saving_failures(caplog)) == 1


async def test_a_failed_destroy_is_answered_with_500_and_keeps_the_cookie(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_app()
    value, sid = await h.start()
    h.store.client.delegate.fail_next["delete_many"] = RuntimeError("delete refused")
    with caplog.at_level(logging.ERROR, logger="prisma_session_store"):
        response = await h.get("/clear", cookie=value)
    assert response.status_code == 500
    assert "set-cookie" not in response.headers
    assert len(saving_failures(caplog)) == 1
    assert await h.store.row(sid) is not None


async def test_a_5xx_response_saves_nothing(make_app: MakeApp) -> None:
    h = make_app()
    response = await h.get("/unavailable")
    assert response.status_code == 503
    assert "set-cookie" not in response.headers
    assert h.calls == []
    assert await h.store.store.length() == 0


async def test_a_5xx_response_leaves_an_existing_session_as_it_was(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    h.store.clock.advance(2 * DAY)  # a touch would be due
    expires_at = await h.store.expires_at(sid)
    response = await h.get("/unavailable", cookie=value)
    assert response.status_code == 503
    assert h.calls == ["find_unique"]
    assert "set-cookie" not in response.headers
    stored = await h.stored(sid)
    assert stored is not None
    assert "during_outage" not in stored
    assert await h.store.expires_at(sid) == expires_at


async def test_an_exception_in_the_view_saves_nothing(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    response = await h.get("/boom", cookie=value)
    assert response.status_code == 500
    assert [type(error) for error in h.errors] == [RuntimeError]
    assert h.calls == ["find_unique"]
    assert "set-cookie" not in response.headers
    stored = await h.stored(sid)
    assert stored is not None
    assert "boom" not in stored
    fresh = await h.get("/boom")
    assert fresh.status_code == 500
    assert await h.store.store.ids() == [sid]


async def test_a_failed_save_after_the_response_started_is_logged_not_raised(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_app()
    value, sid = await h.start()
    h.store.client.delegate.fail_next["update_many"] = RuntimeError("write refused")
    # A websocket's changes are saved when it ends, long after the accept.
    with caplog.at_level(logging.ERROR, logger="prisma_session_store"):
        transcript = await h.websocket("/ws", ["incr"], cookie=value)
    assert transcript.replies == [{"count": 2}]
    [record] = saving_failures(caplog)
    assert "after the response" in record.getMessage()
    stored = await h.stored(sid)
    assert stored is not None
    assert stored["count"] == 1

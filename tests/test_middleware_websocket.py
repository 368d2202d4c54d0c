"""``websocket.session``: read on connect, saved when the connection ends."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.middleware_harness import MakeApp


async def test_a_websocket_reads_the_session_of_its_cookie(make_app: MakeApp) -> None:
    h = make_app()
    value, _ = await h.start()
    transcript = await h.websocket("/ws", ["read"], cookie=value)
    assert transcript.accept is not None
    assert transcript.replies == [{"count": 1}]
    assert h.calls == ["find_unique"]
    assert "set-cookie" not in transcript.accept_headers


async def test_websocket_changes_are_saved_once_when_it_ends(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    transcript = await h.websocket("/ws", ["incr", "incr", "read"], cookie=value)
    assert transcript.replies == [{"count": 2}, {"count": 3}, {"count": 3}]
    assert h.calls == ["find_unique", "update_many"]
    stored = await h.stored(sid)
    assert stored is not None
    assert stored["count"] == 3
    assert (await h.get("/read", cookie=value)).json() == {"count": 3}


async def test_a_session_started_before_accept_gets_its_cookie_on_the_accept(
    make_app: MakeApp,
) -> None:
    h = make_app()
    transcript = await h.websocket("/ws?init=1", ["read"])
    assert transcript.replies == [{"greeting": "before accept"}]
    [raw] = transcript.accept_headers["set-cookie"]
    assert raw.startswith("session=")
    assert "HttpOnly" in raw
    value = raw.split(";", 1)[0].removeprefix("session=")
    assert (await h.get("/read", cookie=value)).json() == {"greeting": "before accept"}


async def test_a_session_started_after_accept_is_not_saved(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_app()
    with caplog.at_level(logging.WARNING, logger="prisma_session_store"):
        transcript = await h.websocket("/ws", ["incr"])
    assert transcript.replies == [{"count": 1}]
    assert h.calls == []
    assert await h.store.store.length() == 0
    assert any("not saved" in record.getMessage() for record in caplog.records)


async def test_a_websocket_with_a_forged_cookie_gets_a_fresh_session(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    forged = f"{sid}.forged-signature"
    transcript = await h.websocket("/ws", ["read"], cookie=forged)
    assert transcript.replies == [{}]
    assert h.calls == []
    assert forged != value

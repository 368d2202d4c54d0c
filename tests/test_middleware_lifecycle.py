"""When a session is created, saved, touched, rolled and destroyed."""

from __future__ import annotations

from datetime import timedelta
from email.utils import formatdate
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from prisma_session_store import SessionMiddleware

if TYPE_CHECKING:
    from tests.middleware_harness import MakeApp
    from tests.store_harness import MakeStore

FOURTEEN_DAYS = 14 * 24 * 60 * 60
DAY = 24 * 60 * 60


async def test_a_new_session_left_empty_creates_nothing(make_app: MakeApp) -> None:
    h = make_app()
    response = await h.get("/read")
    assert response.json() == {}
    assert "set-cookie" not in response.headers
    assert h.calls == []
    assert await h.store.store.length() == 0


async def test_save_uninitialized_stores_and_sends_an_empty_session(make_app: MakeApp) -> None:
    h = make_app(save_uninitialized=True)
    response = await h.get("/read")
    sid = h.sid_of(h.session_cookie(response).value)
    assert h.calls == ["upsert"]
    stored = await h.stored(sid)
    assert stored is not None
    assert set(stored) == {"cookie"}


async def test_a_saved_uninitialized_session_survives_later_requests(make_app: MakeApp) -> None:
    h = make_app(save_uninitialized=True)
    value = h.session_cookie(await h.get("/read")).value
    sid = h.sid_of(value)
    response = await h.get("/read", cookie=value)
    assert response.json() == {}
    assert h.calls == ["find_unique"]
    assert "set-cookie" not in response.headers
    assert await h.store.row(sid) is not None
    # Emptying a session that had data still ends it.
    await h.get("/incr", cookie=value)
    cleared = await h.get("/clear", cookie=value)
    assert h.session_cookie(cleared).deletes
    assert await h.store.row(sid) is None


async def test_a_change_is_saved_and_read_back(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    second = await h.get("/incr", cookie=value)
    assert second.json() == {"count": 2}
    assert h.session_cookie(second).value == value  # same id, same signature
    stored = await h.stored(sid)
    assert stored is not None
    assert stored["count"] == 2
    assert (await h.get("/read", cookie=value)).json() == {"count": 2}


async def test_a_change_moves_the_expiry(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    h.store.clock.advance(3600)
    await h.get("/incr", cookie=value)
    assert await h.store.expires_at(sid) == h.store.clock.now + timedelta(seconds=FOURTEEN_DAYS)


async def test_a_nested_change_is_saved(make_app: MakeApp) -> None:
    h = make_app()
    value = h.session_cookie(await h.get("/nested?item=apple")).value
    sid = h.sid_of(value)
    response = await h.get("/nested?item=pear", cookie=value)
    assert response.json() == {"cart": ["apple", "pear"]}
    assert h.calls == ["find_unique", "update_many"]
    stored = await h.stored(sid)
    assert stored is not None
    assert stored["cart"] == ["apple", "pear"]


async def test_writing_the_same_value_again_writes_nothing(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    before = await h.store.row(sid)
    response = await h.request("POST", "/write", cookie=value, json_body={"count": 1})
    assert response.json() == {"count": 1}
    assert h.calls == ["find_unique"]
    assert "set-cookie" not in response.headers
    assert await h.store.row(sid) == before


async def test_an_unmodified_session_is_not_touched_within_the_window(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    expires_at = await h.store.expires_at(sid)
    h.store.clock.advance(DAY)  # under a tenth of 14 days
    response = await h.get("/read", cookie=value)
    assert response.json() == {"count": 1}
    assert h.calls == ["find_unique"]
    assert "set-cookie" not in response.headers
    assert await h.store.expires_at(sid) == expires_at


async def test_an_unmodified_session_is_touched_after_the_window(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    data_before = (await h.store.row(sid)).data
    h.store.clock.advance(2 * DAY)  # over a tenth of 14 days
    response = await h.get("/read", cookie=value)
    assert h.calls == ["find_unique", "update_many"]
    now = h.store.clock.now
    assert await h.store.expires_at(sid) == now + timedelta(seconds=FOURTEEN_DAYS)
    assert (await h.store.row(sid)).data == data_before  # a touch never rewrites data
    # The browser's cookie is renewed with the row.
    cookie = h.session_cookie(response)
    assert cookie.value == value
    assert cookie.attributes["expires"] == formatdate(now.timestamp() + FOURTEEN_DAYS, usegmt=True)


async def test_touch_after_sets_the_window(make_app: MakeApp) -> None:
    h = make_app(touch_after=60)
    value, sid = await h.start()
    h.store.clock.advance(59)
    await h.get("/read", cookie=value)
    assert h.calls == ["find_unique"]
    h.store.clock.advance(2)
    await h.get("/read", cookie=value)
    assert h.calls == ["find_unique", "update_many"]
    assert await h.store.expires_at(sid) == h.store.clock.now + timedelta(seconds=FOURTEEN_DAYS)


async def test_rolling_resends_the_cookie_without_a_write(make_app: MakeApp) -> None:
    h = make_app(rolling=True)
    value, sid = await h.start()
    expires_at = await h.store.expires_at(sid)
    h.store.clock.advance(600)
    response = await h.get("/read", cookie=value)
    assert h.calls == ["find_unique"]
    cookie = h.session_cookie(response)
    assert cookie.value == value
    assert cookie.attributes["expires"] == formatdate(
        h.store.clock.now.timestamp() + FOURTEEN_DAYS, usegmt=True
    )
    assert await h.store.expires_at(sid) == expires_at


async def test_without_rolling_an_unmodified_session_sends_no_cookie(make_app: MakeApp) -> None:
    h = make_app(rolling=False)
    value, _ = await h.start()
    h.store.clock.advance(600)
    assert "set-cookie" not in (await h.get("/read", cookie=value)).headers


async def test_emptying_the_session_destroys_the_row_and_expires_the_cookie(
    make_app: MakeApp,
) -> None:
    h = make_app()
    value, sid = await h.start()
    response = await h.get("/clear", cookie=value)
    assert response.json() == {}
    assert h.calls == ["find_unique", "delete_many"]
    assert await h.store.row(sid) is None
    cookie = h.session_cookie(response)
    assert cookie.value == ""
    assert cookie.deletes
    assert cookie.attributes["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert cookie.attributes["path"] == "/"
    assert (await h.get("/read", cookie=value)).json() == {}


async def test_an_expired_session_starts_fresh_with_a_new_id(make_app: MakeApp) -> None:
    h = make_app(max_age=600)
    value, sid = await h.start()
    h.store.clock.advance(600)
    response = await h.get("/read", cookie=value)
    assert response.json() == {}
    assert h.session_cookie(response).deletes
    assert await h.store.row(sid) is None  # the expired row is removed on sight
    fresh = await h.get("/incr", cookie=value)
    assert fresh.json() == {"count": 1}
    assert h.sid_of(h.session_cookie(fresh).value) != sid


async def test_a_session_deleted_elsewhere_is_not_resurrected(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    await h.store.store.destroy(sid)
    response = await h.get("/incr", cookie=value)
    assert response.json() == {"count": 1}
    new_sid = h.sid_of(h.session_cookie(response).value)
    assert new_sid != sid
    assert await h.store.row(sid) is None
    assert await h.store.store.ids() == [new_sid]


async def test_a_request_that_never_touches_the_session_keeps_it(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    response = await h.get("/plain", cookie=value)
    assert response.text == "no session here"
    assert "set-cookie" not in response.headers
    stored = await h.stored(sid)
    assert stored is not None
    assert stored["count"] == 1


async def test_a_logout_during_a_request_is_not_undone_by_its_save(
    make_app: MakeApp, make_store: MakeStore
) -> None:
    store = make_store()
    harness = make_app(store=store)
    value, sid = await harness.start()

    async def change_while_another_request_logs_out(request: Request) -> JSONResponse:
        request.session["count"] += 1
        await store.store.destroy(sid)  # the other request's logout lands now
        return JSONResponse({"count": request.session["count"]})

    app = Starlette(
        routes=[Route("/", change_while_another_request_logs_out)],
        middleware=[Middleware(SessionMiddleware, store=store.store, secret_key=make_app.secret)],
    )
    h = make_app.wrap(app, store)
    response = await h.get("/", cookie=value)
    assert response.json() == {"count": 2}
    assert h.session_cookie(response).deletes  # the browser forgets the ended session
    assert await store.store.ids() == []  # and it is not brought back

"""regenerate_session (login) and destroy_session (logout)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from starlette.requests import Request

from prisma_session_store import ConfigurationError, destroy_session, regenerate_session

if TYPE_CHECKING:
    from tests.middleware_harness import MakeApp


async def test_regenerate_moves_the_data_to_a_new_id(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    response = await h.request("POST", "/login", cookie=value)
    assert response.json() == {"count": 1, "user": "alice"}
    assert h.calls == ["find_unique", "delete_many", "upsert"]
    new_value = h.session_cookie(response).value
    new_sid = h.sid_of(new_value)
    assert new_sid != sid
    assert await h.store.row(sid) is None
    stored = await h.stored(new_sid)
    assert stored is not None
    assert stored["count"] == 1
    assert stored["user"] == "alice"
    # The pre-login cookie opens nothing any more; the new one does.
    assert (await h.get("/read", cookie=value)).json() == {}
    assert (await h.get("/read", cookie=new_value)).json() == {"count": 1, "user": "alice"}


async def test_regenerate_without_a_session_starts_one(make_app: MakeApp) -> None:
    h = make_app()
    response = await h.request("POST", "/login?user=bob")
    assert response.json() == {"user": "bob"}
    assert h.calls == ["upsert"]
    assert await h.store.store.ids() == [h.sid_of(h.session_cookie(response).value)]


async def test_destroy_ends_the_session(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    response = await h.request("POST", "/logout", cookie=value)
    assert response.json() == {}
    assert h.calls == ["find_unique", "delete_many"]
    assert await h.store.row(sid) is None
    assert h.session_cookie(response).deletes
    after = await h.get("/read", cookie=value)
    assert after.json() == {}
    assert h.session_cookie(after).deletes


async def test_writing_after_destroy_starts_a_new_session(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    response = await h.get("/logout-then-write", cookie=value)
    assert response.json() == {"after": "logout"}
    new_sid = h.sid_of(h.session_cookie(response).value)
    assert new_sid != sid
    assert await h.store.row(sid) is None
    stored = await h.stored(new_sid)
    assert stored is not None
    assert "count" not in stored
    assert stored["after"] == "logout"


async def test_destroy_without_a_session_costs_nothing(make_app: MakeApp) -> None:
    h = make_app()
    response = await h.request("POST", "/logout")
    assert response.status_code == 200
    assert h.calls == []
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("helper", [regenerate_session, destroy_session])
async def test_helpers_say_when_the_middleware_is_missing(helper: object) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    with pytest.raises(ConfigurationError, match="SessionMiddleware is not installed"):
        await helper(request)  # type: ignore[operator]

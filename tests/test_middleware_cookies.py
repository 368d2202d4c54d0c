"""The session cookie on the raw Set-Cookie header: attributes, value, Vary."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import formatdate
from typing import TYPE_CHECKING

import pytest

from prisma_session_store import SessionMiddleware

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from tests.middleware_harness import MakeApp
    from tests.store_harness import MakeStore

FOURTEEN_DAYS = 14 * 24 * 60 * 60


async def test_default_cookie_attributes_on_the_raw_header(make_app: MakeApp) -> None:
    h = make_app()
    response = await h.get("/incr")
    assert response.status_code == 200
    [raw] = response.headers.get_list("set-cookie")
    expires = formatdate(h.store.clock.now.timestamp() + FOURTEEN_DAYS, usegmt=True)
    assert re.fullmatch(
        rf"session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Max-Age={FOURTEEN_DAYS}; "
        rf"Expires={expires}; Path=/; HttpOnly; SameSite=Lax",
        raw,
    ), raw
    assert "secure" not in raw.lower()


async def test_configured_attributes_reach_the_header(make_app: MakeApp) -> None:
    h = make_app(
        session_cookie="sid",
        max_age=3600,
        path="/app",
        domain="example.test",
        same_site="strict",
        https_only=True,
        base_url="https://testserver",
    )
    cookie = h.session_cookie(await h.get("/incr"))
    assert cookie.name == "sid"
    assert cookie.attributes == {
        "max-age": "3600",
        "expires": formatdate(h.store.clock.now.timestamp() + 3600, usegmt=True),
        "path": "/app",
        "domain": "example.test",
        "httponly": True,
        "samesite": "Strict",
        "secure": True,
    }


async def test_same_site_none_is_sent_with_secure(make_app: MakeApp) -> None:
    h = make_app(same_site="none", https_only=True, base_url="https://testserver")
    cookie = h.session_cookie(await h.get("/incr"))
    assert cookie.attributes["samesite"] == "None"
    assert cookie.attributes["secure"] is True


async def inner_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("never called")


async def test_same_site_none_without_https_only_is_refused(make_store: MakeStore) -> None:
    with pytest.raises(ValueError, match="https_only"):
        SessionMiddleware(inner_app, store=make_store().store, secret_key="k", same_site="none")


@pytest.mark.parametrize("max_age", [0, -5, 1.5, True])
async def test_max_age_must_be_positive_whole_seconds(
    make_store: MakeStore, max_age: object
) -> None:
    with pytest.raises(ValueError, match="max_age"):
        SessionMiddleware(
            inner_app,
            store=make_store().store,
            secret_key="k",
            max_age=max_age,  # type: ignore[arg-type]
        )


async def test_max_age_none_makes_a_browser_session_cookie(make_app: MakeApp) -> None:
    h = make_app(max_age=None)
    response = await h.get("/incr")
    cookie = h.session_cookie(response)
    assert "max-age" not in cookie.attributes
    assert "expires" not in cookie.attributes
    assert cookie.attributes["httponly"] is True
    # Without a cookie lifetime the row lives for the store's default, one day.
    sid = h.sid_of(cookie.value)
    assert await h.store.expires_at(sid) == h.store.clock.now + timedelta(days=1)


async def test_the_row_expires_with_the_cookie(make_app: MakeApp) -> None:
    h = make_app(max_age=600)
    cookie = h.session_cookie(await h.get("/incr"))
    sid = h.sid_of(cookie.value)
    assert await h.store.expires_at(sid) == h.store.clock.now + timedelta(seconds=600)
    stored = await h.stored(sid)
    assert stored is not None
    assert stored["count"] == 1
    # express-session's cookie object, so an Express app can read the row.
    assert stored["cookie"]["originalMaxAge"] == 600_000
    assert stored["cookie"]["httpOnly"] is True
    assert stored["cookie"]["path"] == "/"


async def test_the_cookie_carries_only_a_signed_random_id(make_app: MakeApp) -> None:
    h = make_app()
    first = h.session_cookie(
        await h.request("POST", "/write", json_body={"secret_note": "do-not-leak"})
    )
    second = h.session_cookie(await h.get("/incr"))
    assert "do-not-leak" not in first.raw
    sid = h.sid_of(first.value)
    # At least 128 bits of base64url randomness, different for every session.
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", sid)
    assert len(sid) * 6 >= 128
    assert h.sid_of(second.value) != sid
    assert first.value != sid  # it is signed, not the bare id
    assert await h.stored(sid) is not None


async def test_vary_cookie_only_on_responses_that_read_the_session(make_app: MakeApp) -> None:
    h = make_app()
    cookie = h.session_cookie(await h.get("/incr"))
    reading = await h.get("/read", cookie=cookie.value)
    assert "Cookie" in reading.headers["vary"]
    untouched = await h.get("/plain")
    assert "vary" not in untouched.headers
    assert "set-cookie" not in untouched.headers


async def test_the_session_cookie_is_found_among_other_cookies(make_app: MakeApp) -> None:
    h = make_app()
    value = h.session_cookie(await h.get("/incr")).value
    h.store.client.delegate.reset()
    response = await h.client.get("/read", headers={"cookie": f"a=1; session={value}; b=2"})
    assert response.json() == {"count": 1}
    quoted = await h.client.get("/read", headers={"cookie": f'session="{value}"'})
    assert quoted.json() == {"count": 1}


async def test_an_unchanged_session_sends_no_cookie(make_app: MakeApp) -> None:
    h = make_app()
    value = h.session_cookie(await h.get("/incr")).value
    response = await h.get("/read", cookie=value)
    assert response.json() == {"count": 1}
    assert "set-cookie" not in response.headers

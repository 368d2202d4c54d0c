"""Cookies the server did not issue: bad, forged, overlong, malformed,
made-up ids (fixation), key rotation, and express-session's cookie format.

Cookie values are built here independently of the library, from the wire
formats: itsdangerous ``Signer`` with the documented salt, and the Node
``cookie-signature`` package's output for the express format.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING
from urllib.parse import unquote

import pytest
from itsdangerous import Signer

if TYPE_CHECKING:
    from tests.middleware_harness import AppHarness, MakeApp

SALT = "prisma-session-store.session-id"
SECRET = "test-secret-key"  # the harness's default key
MADE_UP_SID = "attacker-chosen-session-id-0123456789"

# encodeURIComponent("s:" + require("cookie-signature").sign(EXPRESS_SID, "k1")), from Node.
EXPRESS_SID = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
EXPRESS_COOKIE = (
    "s%3AAbCdEfGhIjKlMnOpQrStUvWxYz012345.CWArJIu0LS%2Bv%2FuuBxJrjk6Xf9BxzTVMNBkpTyAG4%2B4s"
)


def sign(sid: str, key: str = SECRET) -> str:
    return Signer(key, salt=SALT, digest_method=hashlib.sha256).sign(sid).decode()


def express_sign(sid: str, key: str) -> str:
    """express-session's cookie value, as cookie-signature computes it."""
    mac = hmac.new(key.encode(), sid.encode(), hashlib.sha256).digest()
    signature = base64.b64encode(mac).decode().rstrip("=")
    return f"s%3A{sid}.{signature}".replace("+", "%2B").replace("/", "%2F")


async def assert_not_adopted(h: AppHarness, cookie: str, *, queries: list[str]) -> str:
    """The cookie opens an empty session and the next write gets a new id."""
    reading = await h.get("/read", cookie=cookie)
    assert reading.json() == {}
    assert h.calls == queries
    assert h.session_cookie(reading).deletes  # the useless cookie is cleared
    writing = await h.get("/incr", cookie=cookie)
    assert writing.json() == {"count": 1}
    issued = h.session_cookie(writing).value
    assert issued != cookie
    return h.sid_of(issued)


def test_the_reference_express_cookie_matches_the_algorithm() -> None:
    assert express_sign(EXPRESS_SID, "k1") == EXPRESS_COOKIE


@pytest.mark.parametrize(
    "cookie",
    [
        "",
        "garbage",
        "a.b",
        "...",
        "s%3Aabc.def",
        "\u00e9t\u00e9.signature",
        "%00%ff",
    ],
)
async def test_a_malformed_cookie_costs_no_query_and_starts_fresh(
    make_app: MakeApp, cookie: str
) -> None:
    h = make_app()
    await assert_not_adopted(h, cookie, queries=[])


async def test_a_cookie_signed_with_another_key_never_opens_the_session(
    make_app: MakeApp,
) -> None:
    h = make_app()
    _, sid = await h.start()
    forged = sign(sid, key="not-the-secret")
    new_sid = await assert_not_adopted(h, forged, queries=[])
    assert new_sid != sid
    stored = await h.stored(sid)
    assert stored is not None
    assert stored["count"] == 1  # the victim's session is untouched


async def test_a_tampered_signature_is_rejected(make_app: MakeApp) -> None:
    h = make_app()
    value, sid = await h.start()
    signature = value.rpartition(".")[2]
    # Change the first character: it carries six bits of the MAC. (The last
    # one carries padding bits that base64 decoding ignores.)
    swapped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert await assert_not_adopted(h, f"{sid}.{swapped}", queries=[]) != sid
    other_sid = ("A" if sid[0] != "A" else "B") + sid[1:]
    assert await assert_not_adopted(h, f"{other_sid}.{signature}", queries=[]) != other_sid


async def test_an_overlong_cookie_is_dropped_unread(make_app: MakeApp) -> None:
    h = make_app()
    overlong = sign("A" * 600)  # validly signed, but no id of ours is that long
    assert len(overlong) > 512
    await assert_not_adopted(h, overlong, queries=[])
    assert await h.store.row("A" * 600) is None


async def test_a_made_up_id_in_a_validly_signed_cookie_is_never_adopted(
    make_app: MakeApp,
) -> None:
    h = make_app()
    cookie = sign(MADE_UP_SID)
    new_sid = await assert_not_adopted(h, cookie, queries=["find_unique"])
    assert new_sid != MADE_UP_SID
    assert await h.store.row(MADE_UP_SID) is None
    login = await h.request("POST", "/login", cookie=cookie)
    assert h.sid_of(h.session_cookie(login).value) != MADE_UP_SID
    assert await h.store.row(MADE_UP_SID) is None
    assert MADE_UP_SID not in await h.store.store.ids()


async def test_a_valid_cookie_after_a_bad_one_of_the_same_name_is_used(
    make_app: MakeApp,
) -> None:
    h = make_app()
    value, _ = await h.start()
    response = await h.client.get("/read", headers={"cookie": f"session=junk; session={value}"})
    assert response.json() == {"count": 1}


async def test_rotated_keys_accept_old_cookies_and_re_sign_them(make_app: MakeApp) -> None:
    old = make_app(secret_key="old-key")
    value, sid = await old.start()
    rotated = make_app(store=old.store, secret_key=["new-key", "old-key"])
    response = await rotated.get("/read", cookie=value)
    assert response.json() == {"count": 1}
    assert rotated.calls == ["find_unique"]  # re-signing is not a write
    re_signed = rotated.session_cookie(response).value
    assert re_signed == sign(sid, key="new-key")
    assert re_signed != value
    # A cookie that already carries the newest signature is not re-sent.
    again = await rotated.get("/read", cookie=re_signed)
    assert "set-cookie" not in again.headers


async def test_a_removed_key_no_longer_opens_sessions(make_app: MakeApp) -> None:
    old = make_app(secret_key="old-key")
    value, sid = await old.start()
    new_only = make_app(store=old.store, secret_key=["new-key"])
    await assert_not_adopted(new_only, value, queries=[])
    assert await new_only.store.row(sid) is not None  # left to expire, not deleted


async def test_express_format_reads_a_cookie_that_express_signed(make_app: MakeApp) -> None:
    h = make_app(cookie_format="express", secret_key="k1")
    await h.store.insert(
        EXPRESS_SID,
        {"cookie": {"originalMaxAge": 3_600_000, "httpOnly": True, "path": "/"}, "user": "ann"},
        expires_in=3600,
    )
    response = await h.get("/read", cookie=EXPRESS_COOKIE)
    assert response.json() == {"user": "ann"}
    written = await h.get("/incr", cookie=EXPRESS_COOKIE)
    cookie = h.session_cookie(written)
    assert cookie.name == "connect.sid"
    assert cookie.value == EXPRESS_COOKIE  # exactly what express-session would send
    stored = await h.stored(EXPRESS_SID)
    assert stored is not None
    assert stored["count"] == 1
    assert stored["user"] == "ann"


async def test_express_format_issues_cookies_express_can_verify(make_app: MakeApp) -> None:
    h = make_app(cookie_format="express", secret_key="k1")
    value = h.session_cookie(await h.get("/incr")).value
    raw = unquote(value)
    assert raw.startswith("s:")
    sid, _, _ = raw[2:].rpartition(".")
    assert value == express_sign(sid, "k1")
    assert await h.stored(sid) is not None
    # The unencoded form is accepted too.
    assert (await h.get("/read", cookie=raw)).json() == {"count": 1}


async def test_express_format_rotates_keys(make_app: MakeApp) -> None:
    h = make_app(cookie_format="express", secret_key=["k2", "k1"])
    await h.store.insert(EXPRESS_SID, {"user": "ann"}, expires_in=3600)
    response = await h.get("/read", cookie=EXPRESS_COOKIE)
    assert response.json() == {"user": "ann"}
    assert h.session_cookie(response).value == express_sign(EXPRESS_SID, "k2")


@pytest.mark.parametrize(
    "cookie",
    [
        express_sign(EXPRESS_SID, "wrong-key"),
        sign(EXPRESS_SID, key="k1"),  # the other format
        express_sign("short", "k1"),
        "s%3A" + EXPRESS_SID,
    ],
)
async def test_express_format_rejects_foreign_cookies(make_app: MakeApp, cookie: str) -> None:
    h = make_app(cookie_format="express", secret_key="k1")
    await h.store.insert(EXPRESS_SID, {"user": "ann"}, expires_in=3600)
    response = await h.get("/read", cookie=cookie)
    assert response.json() == {}
    assert h.calls == []


async def test_a_made_up_id_in_a_validly_signed_express_cookie_is_never_adopted(
    make_app: MakeApp,
) -> None:
    h = make_app(cookie_format="express", secret_key="k1")
    cookie = express_sign(MADE_UP_SID, "k1")
    new_sid = await assert_not_adopted(h, cookie, queries=["find_unique"])
    assert new_sid != MADE_UP_SID
    assert await h.stored(new_sid) is not None
    assert await h.store.row(MADE_UP_SID) is None

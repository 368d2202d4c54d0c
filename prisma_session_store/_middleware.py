"""SessionMiddleware: server-side sessions for Starlette and FastAPI."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._cookies import CookieSettings, cookie_values
from ._expiry import Duration, to_timedelta
from ._session import RequestSession, SessionPolicy
from ._signing import CookieFormat, make_signer
from ._store import PrismaSessionStore

__all__ = ["SessionMiddleware"]

logger = logging.getLogger("prisma_session_store")

_START = ("http.response.start", "websocket.accept")
_ERROR_BODY = b"Internal Server Error"


class SessionMiddleware:
    """Pure ASGI middleware: ``request.session`` backed by a PrismaSessionStore.

    The cookie carries only the signed session id; the data stays in the
    database. Parameters follow Starlette's own ``SessionMiddleware``, so
    swapping it in is one line, plus express-session's ``rolling`` and
    ``save_uninitialized``.

    Args:
        app: the ASGI application.
        store: where sessions live.
        secret_key: the signing key, or a list of keys, newest first: the
            newest signs, all verify, and a cookie signed with an older key
            is re-signed with the newest.
        session_cookie: the cookie name; default ``"session"``, or
            ``"connect.sid"`` with ``cookie_format="express"``.
        max_age: cookie and session lifetime in seconds; None makes a
            browser-session cookie (the row then lives for the store's ttl,
            one day by default).
        path: the cookie's Path.
        same_site: the cookie's SameSite (``"none"`` needs ``https_only``).
        https_only: send the cookie with Secure.
        domain: the cookie's Domain.
        rolling: send the cookie on every response that has a session, so
            its expiry restarts each time (express-session's ``rolling``).
        save_uninitialized: store and send a new session even if the app
            put nothing in it (express-session's ``saveUninitialized``).
        touch_after: seconds (or timedelta): refresh the expiry of an
            unmodified session only when that moves it forward by at least
            this much. Default: a tenth of the session's lifetime.
        cookie_format: ``"itsdangerous"`` (default) or ``"express"`` for a
            cookie that express-session reads and writes too.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: PrismaSessionStore,
        secret_key: str | Sequence[str],
        session_cookie: str | None = None,
        max_age: int | None = 14 * 24 * 60 * 60,  # 14 days, in seconds
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: str | None = None,
        rolling: bool = False,
        save_uninitialized: bool = False,
        touch_after: Duration | None = None,
        cookie_format: CookieFormat = "itsdangerous",
    ) -> None:
        if not isinstance(store, PrismaSessionStore):
            raise TypeError("store must be a PrismaSessionStore")
        if max_age is not None and (
            isinstance(max_age, bool) or not isinstance(max_age, int) or max_age <= 0
        ):
            raise ValueError(
                f"max_age must be a positive number of seconds or None, got {max_age!r}"
            )
        if same_site not in ("lax", "strict", "none"):
            raise ValueError(f"same_site must be 'lax', 'strict' or 'none', got {same_site!r}")
        if same_site == "none" and not https_only:
            raise ValueError(
                "same_site='none' needs https_only=True (browsers refuse it otherwise)"
            )
        self.app = app
        self.store = store
        self.signer = make_signer(cookie_format, secret_key)
        default_name = "connect.sid" if cookie_format == "express" else "session"
        self.policy = SessionPolicy(
            cookie=CookieSettings(
                name=session_cookie or default_name,
                max_age=max_age,
                path=path,
                same_site=same_site,
                https_only=https_only,
                domain=domain,
            ),
            rolling=rolling,
            save_uninitialized=save_uninitialized,
            touch_after=None if touch_after is None else to_timedelta(touch_after, "touch_after"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        request_session = RequestSession(
            store=self.store,
            signer=self.signer,
            policy=self.policy,
            presented=cookie_values(scope["headers"], self.policy.cookie.name),
        )
        # A store failure here is the app's error (500 by default), never
        # a silent logout.
        scope["session"] = await request_session.load()
        started = False
        replaced = False

        async def send_with_session(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return  # the app's response was replaced by an error response
            if message["type"] in _START and not started:
                started = True
                if message.get("status", 200) >= 500:
                    request_session.abandon()
                else:
                    try:
                        set_cookie = await request_session.commit()
                    except Exception:
                        logger.exception("saving session %s failed", request_session.describe())
                        if message["type"] == "http.response.start":
                            replaced = True
                            await _send_error(send)
                            return
                        set_cookie = None
                    message.setdefault("headers", [])
                    headers = MutableHeaders(scope=message)
                    if set_cookie is not None:
                        headers.append("set-cookie", set_cookie)
                    if request_session.read:
                        headers.add_vary_header("Cookie")
            await send(message)

        await self.app(scope, receive, send_with_session)
        if started and not replaced:
            try:
                await request_session.commit_late()
            except Exception:
                logger.exception(
                    "saving session %s after the response failed", request_session.describe()
                )


async def _send_error(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_ERROR_BODY)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _ERROR_BODY})

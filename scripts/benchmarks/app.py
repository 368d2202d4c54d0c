"""The benchmarked ASGI app: routes ``/read`` and ``/incr`` behind one of three
session middlewares, chosen by environment variables (uvicorn imports
``benchmarks.app:app``):

* ``PSS_BENCH_VARIANT``: ``ours`` (prisma_session_store.SessionMiddleware),
  ``baseline`` (:class:`BaselineSessionMiddleware`, the same queries by hand)
  or ``cookie`` (Starlette's cookie SessionMiddleware, no database);
* ``PSS_BENCH_PROVIDER`` and ``PSS_BENCH_URL``: the database.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware as CookieSessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prisma_session_store import PrismaSessionStore, SessionMiddleware

SECRET = "benchmark-secret-key"
MAX_AGE = 14 * 24 * 60 * 60  # seconds, Starlette's default
BASELINE_COOKIE = "sid"
VARIANTS = ("ours", "baseline", "cookie")


async def read(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(request.session.get("counter", 0)))


async def incr(request: Request) -> PlainTextResponse:
    counter = request.session.get("counter", 0) + 1
    request.session["counter"] = counter
    return PlainTextResponse(str(counter))


async def untouched(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


ROUTES = [Route("/read", read), Route("/incr", incr), Route("/plain", untouched)]


class BaselineSessionMiddleware:
    """The least a database session middleware can do with Prisma: the cookie
    is the bare session id; one ``find_unique`` by sid to load, one ``upsert``
    when the data changed. No signing, no expiry checks, no touch."""

    def __init__(self, app: ASGIApp, *, client: Any) -> None:
        self.app = app
        self.client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sid = _cookie(scope, BASELINE_COOKIE)
        data: dict[str, Any] = {}
        if sid is not None:
            row = await self.client.session.find_unique(where={"sid": sid})
            if row is not None:
                data = json.loads(row.data)
        loaded = json.dumps(data)
        scope["session"] = data

        async def send_with_session(message: Message) -> None:
            nonlocal sid
            if message["type"] == "http.response.start":
                text = json.dumps(data)
                if text != loaded:
                    if sid is None:
                        sid = secrets.token_urlsafe(32)
                        MutableHeaders(scope=message).append(
                            "set-cookie", f"{BASELINE_COOKIE}={sid}; Path=/; HttpOnly"
                        )
                    expires_at = datetime.now(timezone.utc) + timedelta(seconds=MAX_AGE)
                    await self.client.session.upsert(
                        where={"sid": sid},
                        data={
                            "create": {
                                "id": secrets.token_urlsafe(18),
                                "sid": sid,
                                "data": text,
                                "expiresAt": expires_at,
                            },
                            "update": {"data": text, "expiresAt": expires_at},
                        },
                    )
            await send(message)

        await self.app(scope, receive, send_with_session)


def _cookie(scope: Scope, name: str) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key == b"cookie":
            for pair in value.decode("latin-1").split(";"):
                cookie_name, _, cookie_value = pair.strip().partition("=")
                if cookie_name == name:
                    return cookie_value
    return None


def new_client(provider: str, url: str) -> Any:
    module = importlib.import_module(f"prisma_test_{provider}")
    return module.Prisma(datasource={"url": url})


def build(variant: str, client: Any | None) -> Starlette:
    """The app for ``variant``; ``client`` is the (unconnected or connected) Prisma client."""
    if variant == "cookie":
        return Starlette(
            routes=ROUTES,
            middleware=[Middleware(CookieSessionMiddleware, secret_key=SECRET, max_age=MAX_AGE)],
        )
    if client is None:
        raise ValueError(f"the {variant} variant needs a Prisma client")
    if variant == "ours":
        store = PrismaSessionStore(client)

        @asynccontextmanager
        async def store_lifespan(_app: Starlette) -> AsyncIterator[None]:
            async with store:
                yield

        return Starlette(
            routes=ROUTES,
            middleware=[Middleware(SessionMiddleware, store=store, secret_key=SECRET)],
            lifespan=store_lifespan,
        )
    if variant == "baseline":

        @asynccontextmanager
        async def client_lifespan(_app: Starlette) -> AsyncIterator[None]:
            if not client.is_connected():
                await client.connect()
            try:
                yield
            finally:
                await client.disconnect()

        return Starlette(
            routes=ROUTES,
            middleware=[Middleware(BaselineSessionMiddleware, client=client)],
            lifespan=client_lifespan,
        )
    raise ValueError(f"unknown variant {variant!r} (one of {', '.join(VARIANTS)})")


def _from_environment() -> Starlette:
    variant = os.environ.get("PSS_BENCH_VARIANT", "")
    if variant == "cookie":
        return build(variant, None)
    return build(variant, new_client(os.environ["PSS_BENCH_PROVIDER"], os.environ["PSS_BENCH_URL"]))


app = _from_environment() if "PSS_BENCH_VARIANT" in os.environ else None

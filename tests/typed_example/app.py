"""A small typed Starlette app on prisma-session-store, written as a user would.

tests/test_packaging.py copies this directory into a temporary project,
installs the built wheel into a clean virtualenv and runs ``mypy --strict``
on it there: the public API must type-check in a user's project as is.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from prisma_session_store import (
    ConfigurationError,
    PrismaClient,
    PrismaSessionStore,
    SessionData,
    SessionMiddleware,
    __version__,
    bundled_schema,
    destroy_session,
    regenerate_session,
)

log = logging.getLogger("example.sessions")


class SortedJSON:
    """A serializer: any object with ``dumps`` and ``loads``."""

    def dumps(self, obj: Any, /) -> str:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"))

    def loads(self, s: str, /) -> Any:
        return json.loads(s)


def session_lifetime(session: Mapping[str, Any], sid: str) -> timedelta:
    """Administrators get short sessions."""
    return timedelta(hours=1) if session.get("role") == "admin" else timedelta(days=14)


async def forget_cart(sid: str, session: SessionData) -> None:
    if session.get("cart"):
        log.info("session %s... dropped with %d items", sid[:6], len(session["cart"]))


def report_prune_error(error: Exception) -> None:
    log.warning("pruning expired sessions failed: %s", error)


def make_store(client: PrismaClient) -> PrismaSessionStore:
    return PrismaSessionStore(
        client,
        check_period=timedelta(minutes=10),
        ttl=session_lifetime,
        serializer=SortedJSON(),
        dispose=forget_cart,
        db_record_id_function=lambda sid: f"session-{secrets.token_hex(8)}",
        logger=log,
        logger_level=("error", "warning"),
        round_ttl=60,
    )


def create_app(client: PrismaClient, *, secret_keys: list[str]) -> Starlette:
    store = make_store(client)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.start_interval(on_interval_error=report_prune_error)
        async with store:
            yield

    async def login(request: Request) -> JSONResponse:
        form = await request.form()
        name = form.get("name")
        if not isinstance(name, str):
            return JSONResponse({"error": "name is required"}, status_code=400)
        await regenerate_session(request)
        request.session["user"] = name
        return JSONResponse({"user": name})

    async def me(request: Request) -> JSONResponse:
        user: str | None = request.session.get("user")
        return JSONResponse({"user": user, "sessions": await store.length()})

    async def logout(request: Request) -> JSONResponse:
        await destroy_session(request)
        return JSONResponse({"user": None})

    async def admin(request: Request) -> JSONResponse:
        removed: int = await store.prune()
        ids: list[str] = await store.ids()
        everyone: dict[str, SessionData] = await store.all()
        users = sorted(str(session.get("user")) for session in everyone.values())
        return JSONResponse({"pruned": removed, "live": len(ids), "users": users})

    async def visits(websocket: WebSocket) -> None:
        websocket.session["visits"] = websocket.session.get("visits", 0) + 1
        await websocket.accept()
        await websocket.send_json({"visits": websocket.session["visits"]})
        await websocket.close()

    return Starlette(
        routes=[
            Route("/login", login, methods=["POST"]),
            Route("/me", me),
            Route("/logout", logout, methods=["POST"]),
            Route("/admin/sessions", admin),
            WebSocketRoute("/visits", visits),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                store=store,
                secret_key=secret_keys,
                max_age=14 * 24 * 60 * 60,
                same_site="strict",
                https_only=True,
                rolling=True,
                touch_after=timedelta(hours=1),
            )
        ],
        lifespan=lifespan,
    )


async def copy_sessions(source: PrismaSessionStore, target: PrismaSessionStore) -> int:
    """Move every live session from one store to another (say, a new database)."""
    sessions = await source.all()
    for sid, session in sessions.items():
        await target.set(sid, session)
        await target.touch(sid, session)
    await source.destroy(sessions.keys())
    stored = await target.load(next(iter(sessions), "none"))
    if stored is not None:
        log.info("expires at %s", stored.expires_at.isoformat())
    return len(sessions)


def describe() -> str:
    try:
        model = bundled_schema().split("model Session", 1)[1]
    except IndexError as error:
        raise ConfigurationError("the bundled schema has no Session model") from error
    return f"prisma-session-store {__version__}: model Session{model}"

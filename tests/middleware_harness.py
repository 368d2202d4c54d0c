"""SessionMiddleware on a real store: a small Starlette app, an httpx client
over ASGITransport, a raw ASGI websocket driver and a Set-Cookie parser.

It is a pytest plugin that provides the ``make_app`` fixture: list it in
``pytest_plugins`` (of tests/conftest.py, or of each test module, which then
imports names from here only under ``TYPE_CHECKING`` so that pytest can
still rewrite its asserts). Cookies are passed explicitly on every request
(``cookie=``), never kept in a jar, so each test says which cookie it sends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Lifespan, Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from prisma_session_store import SessionMiddleware, destroy_session, regenerate_session
from tests.store_harness import Harness, MakeStore

SECRET = "test-secret-key"
BASE_URL = "http://testserver"

# -- the application -----------------------------------------------------------------


def session_json(session: Any) -> JSONResponse:
    return JSONResponse(dict(session))


async def read(request: Request) -> Response:
    return session_json(request.session)


async def incr(request: Request) -> Response:
    request.session["count"] = request.session.get("count", 0) + 1
    return session_json(request.session)


async def write(request: Request) -> Response:
    """Merge the JSON body into the session."""
    request.session.update(await request.json())
    return session_json(request.session)


async def login(request: Request) -> Response:
    await regenerate_session(request)
    request.session["user"] = request.query_params.get("user", "alice")
    return session_json(request.session)


async def logout(request: Request) -> Response:
    await destroy_session(request)
    return session_json(request.session)


async def logout_then_write(request: Request) -> Response:
    await destroy_session(request)
    request.session["after"] = "logout"
    return session_json(request.session)


async def clear(request: Request) -> Response:
    request.session.clear()
    return session_json(request.session)


async def nested(request: Request) -> Response:
    """Append to a list inside the session: a change only a deep compare sees."""
    item = request.query_params["item"]
    cart = request.session.get("cart")
    if cart is None:
        request.session["cart"] = [item]
    else:
        cart.append(item)
    return session_json(request.session)


async def boom(request: Request) -> Response:
    request.session["boom"] = True
    raise RuntimeError("the view failed")


async def unavailable(request: Request) -> Response:
    request.session["during_outage"] = True
    return PlainTextResponse("unavailable", status_code=503)


async def plain(request: Request) -> Response:
    return PlainTextResponse("no session here")


async def websocket_endpoint(websocket: WebSocket) -> None:
    """Commands: ``incr`` changes the session; every command answers with it."""
    if websocket.query_params.get("init"):
        websocket.session["greeting"] = "before accept"
    await websocket.accept()
    try:
        while True:
            command = await websocket.receive_text()
            if command == "incr":
                websocket.session["count"] = websocket.session.get("count", 0) + 1
            await websocket.send_json(dict(websocket.session))
    except WebSocketDisconnect:
        pass


ROUTES = [
    Route("/read", read),
    Route("/incr", incr, methods=["GET", "POST"]),
    Route("/write", write, methods=["POST"]),
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["GET", "POST"]),
    Route("/logout-then-write", logout_then_write),
    Route("/clear", clear),
    Route("/nested", nested),
    Route("/boom", boom),
    Route("/unavailable", unavailable),
    Route("/plain", plain),
    WebSocketRoute("/ws", websocket_endpoint),
]


def build_app(
    errors: list[BaseException], *, lifespan: Lifespan[Any] | None = None, **middleware_options: Any
) -> Starlette:
    """The test app; ``errors`` collects what the app's error handler saw."""

    async def on_error(request: Request, error: Exception) -> Response:
        errors.append(error)
        return JSONResponse({"error": type(error).__name__, "message": str(error)}, 500)

    return Starlette(
        routes=ROUTES,
        middleware=[Middleware(SessionMiddleware, **middleware_options)],
        exception_handlers={Exception: on_error},
        lifespan=lifespan,
    )


# -- the Set-Cookie header -----------------------------------------------------------


@dataclass(frozen=True)
class SetCookie:
    """One raw ``set-cookie`` header, split into name, value and attributes
    (attribute names lower-cased; flags map to True)."""

    raw: str
    name: str
    value: str
    attributes: dict[str, str | bool]

    @classmethod
    def parse(cls, raw: str) -> SetCookie:
        first, *rest = raw.split(";")
        name, _, value = first.strip().partition("=")
        attributes: dict[str, str | bool] = {}
        for part in rest:
            key, sep, attribute = part.strip().partition("=")
            attributes[key.lower()] = attribute if sep else True
        return cls(raw, name, value, attributes)

    @property
    def deletes(self) -> bool:
        return self.attributes.get("max-age") == "0"


def set_cookies(response: httpx.Response) -> list[SetCookie]:
    return [SetCookie.parse(raw) for raw in response.headers.get_list("set-cookie")]


# -- a raw ASGI websocket conversation -----------------------------------------------


@dataclass
class WebSocketTranscript:
    accept: Message | None
    replies: list[Any]
    close: Message | None

    @property
    def accept_headers(self) -> dict[str, list[str]]:
        headers: dict[str, list[str]] = {}
        for key, value in (self.accept or {}).get("headers", []):
            headers.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        return headers


async def websocket_conversation(
    app: ASGIApp, path: str, commands: Sequence[str], *, cookie: str | None = None
) -> WebSocketTranscript:
    """Connect, send ``commands`` as text frames, then disconnect (code 1000);
    the app's JSON replies come back in order."""
    raw_path, _, query = path.partition("?")
    headers = [(b"host", b"testserver")]
    if cookie is not None:
        headers.append((b"cookie", cookie.encode("latin-1")))
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "subprotocols": [],
    }
    incoming: asyncio.Queue[Message] = asyncio.Queue()
    incoming.put_nowait({"type": "websocket.connect"})
    for command in commands:
        incoming.put_nowait({"type": "websocket.receive", "text": command})
    incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
    transcript = WebSocketTranscript(accept=None, replies=[], close=None)

    async def receive() -> Message:
        return await incoming.get()

    async def send(message: Message) -> None:
        if message["type"] == "websocket.accept":
            transcript.accept = message
        elif message["type"] == "websocket.send":
            transcript.replies.append(json.loads(message["text"]))
        elif message["type"] == "websocket.close":
            transcript.close = message

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return transcript


# -- the fixture ---------------------------------------------------------------------


@dataclass
class AppHarness:
    """An app with SessionMiddleware on a store of the test database."""

    app: ASGIApp
    client: httpx.AsyncClient
    store: Harness
    cookie_name: str
    errors: list[BaseException] = field(default_factory=list)

    @property
    def calls(self) -> list[str]:
        """The store queries issued since the last request started."""
        return self.store.calls

    async def request(
        self,
        method: str,
        path: str,
        *,
        cookie: str | None = None,
        json_body: Any = None,
    ) -> httpx.Response:
        """One request carrying ``cookie`` (the session cookie's value) if given;
        the store's query log is reset first."""
        headers = {}
        if cookie is not None:  # raw bytes: a cookie may carry any octets
            headers["cookie"] = f"{self.cookie_name}={cookie}".encode()
        self.store.client.delegate.reset()
        response = await self.client.request(method, path, headers=headers, json=json_body)
        self.client.cookies.clear()
        return response

    async def get(self, path: str, *, cookie: str | None = None) -> httpx.Response:
        return await self.request("GET", path, cookie=cookie)

    def set_cookies(self, response: httpx.Response) -> list[SetCookie]:
        return set_cookies(response)

    def session_cookie(self, response: httpx.Response) -> SetCookie:
        """The response's one Set-Cookie for the session cookie."""
        found = [c for c in set_cookies(response) if c.name == self.cookie_name]
        assert len(found) == 1, f"expected one session Set-Cookie, got {found}"
        return found[0]

    async def start(self) -> tuple[str, str]:
        """A stored session with count=1: (its cookie value, its sid)."""
        value = self.session_cookie(await self.get("/incr")).value
        return value, self.sid_of(value)

    def sid_of(self, cookie_value: str) -> str:
        """The session id in a cookie value: ``<sid>.<signature>``, or
        ``s:<sid>.<signature>`` URL-encoded (express format)."""
        raw = unquote(cookie_value)
        sid, _, _signature = raw.removeprefix("s:").rpartition(".")
        return sid

    async def stored(self, sid: str) -> dict[str, Any] | None:
        """The session row's data as the database holds it, or None."""
        row = await self.store.row(sid)
        return None if row is None else json.loads(row.data)  # type: ignore[no-any-return]

    async def websocket(
        self, path: str, commands: Sequence[str], *, cookie: str | None = None
    ) -> WebSocketTranscript:
        header = f"{self.cookie_name}={cookie}" if cookie is not None else None
        self.store.client.delegate.reset()
        return await websocket_conversation(self.app, path, commands, cookie=header)


class AppFactory:
    """What the ``make_app`` fixture returns.

    ``make_app(store=None, store_options=None, base_url=..., lifespan=None,
    **middleware_options)`` builds the test app on a store (a new one from
    ``make_store`` unless given), ``secret_key`` defaulting to SECRET; ``make_app.wrap(app, store)``
    wraps any other ASGI app (a FastAPI one). Clients are closed after the test.
    """

    secret = SECRET

    def __init__(self, make_store: MakeStore) -> None:
        self._make_store = make_store
        self._harnesses: list[AppHarness] = []

    def __call__(
        self,
        *,
        store: Harness | None = None,
        store_options: dict[str, Any] | None = None,
        base_url: str = BASE_URL,
        lifespan: Lifespan[Any] | None = None,
        **middleware_options: Any,
    ) -> AppHarness:
        store = store or self._make_store(**(store_options or {}))
        middleware_options.setdefault("secret_key", SECRET)
        express = middleware_options.get("cookie_format") == "express"
        cookie_name = middleware_options.get("session_cookie") or (
            "connect.sid" if express else "session"
        )
        errors: list[BaseException] = []
        app = build_app(errors, lifespan=lifespan, store=store.store, **middleware_options)
        return self.wrap(app, store, cookie_name=cookie_name, base_url=base_url, errors=errors)

    def wrap(
        self,
        app: ASGIApp,
        store: Harness,
        *,
        cookie_name: str = "session",
        base_url: str = BASE_URL,
        errors: list[BaseException] | None = None,
    ) -> AppHarness:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url=base_url,
        )
        harness = AppHarness(app, client, store, cookie_name, errors if errors is not None else [])
        self._harnesses.append(harness)
        return harness

    async def close(self) -> None:
        for harness in self._harnesses:
            await harness.client.aclose()


MakeApp = AppFactory


@pytest.fixture
async def make_app(make_store: MakeStore) -> AsyncIterator[AppFactory]:
    """Test apps with SessionMiddleware on stores of the test database."""
    factory = AppFactory(make_store)
    yield factory
    await factory.close()

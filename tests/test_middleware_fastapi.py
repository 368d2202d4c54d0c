"""One FastAPI app with ``app.add_middleware(SessionMiddleware, ...)``:
login, a counter behind a dependency, logout, a websocket, a store outage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect

from prisma_session_store import (
    PrismaSessionStore,
    SessionMiddleware,
    destroy_session,
    regenerate_session,
)

if TYPE_CHECKING:
    from tests.middleware_harness import AppHarness, MakeApp
    from tests.store_harness import MakeStore

SECRET = "fastapi-secret"


def current_user(request: Request) -> str:
    user = request.session.get("user")
    if user is None:
        raise HTTPException(status_code=401, detail="log in first")
    return str(user)


def build_fastapi(store: PrismaSessionStore) -> FastAPI:
    app = FastAPI()
    app.add_middleware(SessionMiddleware, store=store, secret_key=SECRET, max_age=3600)

    @app.post("/login")
    async def login(request: Request, user: str) -> dict[str, Any]:
        await regenerate_session(request)
        request.session["user"] = user
        return {"user": user}

    @app.get("/counter")
    async def counter(request: Request, user: str = Depends(current_user)) -> dict[str, Any]:
        request.session["visits"] = request.session.get("visits", 0) + 1
        return {"user": user, "visits": request.session["visits"]}

    @app.post("/logout")
    async def logout(request: Request) -> dict[str, Any]:
        await destroy_session(request)
        return {"logged_out": True}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.receive_text()
                await websocket.send_json({"user": websocket.session.get("user")})
        except WebSocketDisconnect:
            pass

    return app


def fastapi_app(make_app: MakeApp, make_store: MakeStore) -> AppHarness:
    store = make_store()
    return make_app.wrap(build_fastapi(store.store), store)


async def test_login_counter_logout_through_fastapi(
    make_app: MakeApp, make_store: MakeStore
) -> None:
    h = fastapi_app(make_app, make_store)
    assert (await h.get("/counter")).status_code == 401
    assert h.calls == []

    login = await h.request("POST", "/login?user=ann")
    assert login.json() == {"user": "ann"}
    cookie = h.session_cookie(login)
    assert cookie.attributes["max-age"] == "3600"
    assert cookie.attributes["httponly"] is True
    assert cookie.attributes["samesite"] == "Lax"
    sid = h.sid_of(cookie.value)

    for visits in (1, 2):
        response = await h.get("/counter", cookie=cookie.value)
        assert response.json() == {"user": "ann", "visits": visits}
        assert h.calls == ["find_unique", "update_many"]
        assert "Cookie" in response.headers["vary"]
    stored = await h.stored(sid)
    assert stored is not None
    assert stored["visits"] == 2

    logout = await h.request("POST", "/logout", cookie=cookie.value)
    assert logout.json() == {"logged_out": True}
    assert h.session_cookie(logout).deletes
    assert await h.store.row(sid) is None
    assert (await h.get("/counter", cookie=cookie.value)).status_code == 401


async def test_a_4xx_from_a_dependency_saves_nothing_new(
    make_app: MakeApp, make_store: MakeStore
) -> None:
    h = fastapi_app(make_app, make_store)
    response = await h.get("/counter")
    assert response.status_code == 401
    assert response.json() == {"detail": "log in first"}
    assert "set-cookie" not in response.headers
    assert await h.store.store.length() == 0


async def test_a_store_outage_is_a_500_by_default(make_app: MakeApp, make_store: MakeStore) -> None:
    h = fastapi_app(make_app, make_store)
    value = h.session_cookie(await h.request("POST", "/login?user=ann")).value
    h.store.client.delegate.fail_next["find_unique"] = RuntimeError("database is down")
    response = await h.get("/counter", cookie=value)
    assert response.status_code == 500
    assert "set-cookie" not in response.headers
    # not a logout: the same cookie works once the database is back
    assert (await h.get("/counter", cookie=value)).json() == {"user": "ann", "visits": 1}


async def test_a_fastapi_websocket_sees_the_session(
    make_app: MakeApp, make_store: MakeStore
) -> None:
    h = fastapi_app(make_app, make_store)
    value = h.session_cookie(await h.request("POST", "/login?user=ann")).value
    transcript = await h.websocket("/ws", ["who"], cookie=value)
    assert transcript.replies == [{"user": "ann"}]
    anonymous = await h.websocket("/ws", ["who"])
    assert anonymous.replies == [{"user": None}]

"""The middleware behind a real uvicorn server on 127.0.0.1 (a free port),
with the store opened and closed in the app's lifespan, read over TCP."""

from __future__ import annotations

import asyncio
import contextlib
import re
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

    from tests.middleware_harness import AppHarness, MakeApp

STARTUP_TIMEOUT = 10.0  # seconds


@contextlib.asynccontextmanager
async def serving(h: AppHarness) -> AsyncIterator[int]:
    """Run uvicorn on the test's event loop; yield its port; stop it cleanly."""
    config = uvicorn.Config(
        h.app, host="127.0.0.1", port=0, lifespan="on", log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> None:
        while not server.started:
            assert not task.done(), "uvicorn stopped during startup"
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(started(), STARTUP_TIMEOUT)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, STARTUP_TIMEOUT)


async def raw_get(port: int, path: str, cookie: str | None = None) -> tuple[str, list[str]]:
    """One HTTP/1.1 request over a socket: (status line, raw header lines)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        if cookie is not None:
            head += f"Cookie: session={cookie}\r\n"
        writer.write(f"{head}\r\n".encode())
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), STARTUP_TIMEOUT)
    finally:
        writer.close()
        await writer.wait_closed()
    status, *headers = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    return status, headers


def set_cookie_lines(headers: list[str]) -> list[str]:
    return [
        line.split(":", 1)[1].strip() for line in headers if line.lower().startswith("set-cookie:")
    ]


async def test_sessions_over_tcp_with_uvicorn(make_app: MakeApp) -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with h.store.store:  # as the README's quick start does
            events.append("startup")
            yield
        events.append("shutdown")

    h = make_app(lifespan=lifespan, max_age=7200, same_site="strict")
    async with serving(h) as port:
        assert events == ["startup"]

        status, headers = await raw_get(port, "/incr")
        assert status == "HTTP/1.1 200 OK"
        [raw] = set_cookie_lines(headers)
        expires = formatdate(h.store.clock.now.timestamp() + 7200, usegmt=True)
        assert re.fullmatch(
            rf"session=([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+; Max-Age=7200; Expires={expires}; "
            r"Path=/; HttpOnly; SameSite=Strict",
            raw,
        ), raw
        value = raw.split(";", 1)[0].removeprefix("session=")
        sid = h.sid_of(value)
        assert await h.store.row(sid) is not None

        status, headers = await raw_get(port, "/read", cookie=value)
        assert status == "HTTP/1.1 200 OK"
        assert set_cookie_lines(headers) == []
        assert any(re.fullmatch(r"(?i)vary: .*cookie.*", line) for line in headers)

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            headers_out: dict[str, Any] = {"cookie": f"session={value}"}
            assert (await client.get("/incr", headers=headers_out)).json() == {"count": 2}
            client.cookies.clear()
            logout = await client.post("/logout", headers=headers_out)
            [deleted] = logout.headers.get_list("set-cookie")
            assert deleted.startswith("session=; Max-Age=0; ")
            assert "HttpOnly" in deleted
        assert await h.store.row(sid) is None

    assert events == ["startup", "shutdown"]
    # The server is gone: its port no longer accepts connections.
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        pass
    else:
        writer.close()
        raise AssertionError("uvicorn still accepts connections after shutdown")

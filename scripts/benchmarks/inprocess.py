"""The middleware's own cost, without HTTP: the ASGI app called directly in
this process, ours against the baseline on one client, alternated; and a
pyinstrument profile of the hot path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.types import Message

from .app import build
from .databases import WORK, BenchDatabase
from .stats import rate
from .store_ops import Comparison


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


@dataclass
class Caller:
    """Calls ``app`` as a server would, with a session cookie."""

    app: Starlette
    cookie: bytes

    async def __call__(self, path: str) -> tuple[int, list[tuple[bytes, bytes]]]:
        status = 0
        headers: list[tuple[bytes, bytes]] = []

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))

        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"bench"), (b"cookie", self.cookie)] if self.cookie else [],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        await self.app(scope, _receive, send)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        return status, headers


async def _caller(variant: str, client: Any) -> Caller:
    caller = Caller(build(variant, client), b"")
    _, headers = await caller("/incr")
    for key, value in headers:
        if key == b"set-cookie":
            caller.cookie = value.split(b";", 1)[0]
    if not caller.cookie:
        raise RuntimeError(f"{variant}: no session cookie")
    return caller


async def middleware_cost(database: BenchDatabase, *, rounds: int, calls: int) -> list[Comparison]:
    """Requests per second of the bare ASGI app, ours against the baseline."""
    client = await database.connect()
    try:
        await client.session.delete_many()
        ours = await _caller("ours", client)
        baseline = await _caller("baseline", client)
        results = []
        for route in ("/read", "/incr"):
            comparison = Comparison(route, "ours", "baseline")
            for caller in (ours, baseline):  # warm-up
                await rate(_route_call(caller, route), max(5, calls // 5))
            for round_number in range(rounds):
                first, second = (ours, baseline) if round_number % 2 == 0 else (baseline, ours)
                rates = {}
                for caller in (first, second):
                    rates[id(caller)] = await rate(_route_call(caller, route), calls)
                comparison.ours.append(rates[id(ours)])
                comparison.theirs.append(rates[id(baseline)])
            results.append(comparison)
        return results
    finally:
        await client.disconnect()


def _route_call(caller: Caller, route: str) -> Callable[[int], Awaitable[object]]:
    return lambda _i: caller(route)


async def profile(database: BenchDatabase, *, calls: int) -> list[Path]:
    """pyinstrument text reports of /read and /incr through our middleware."""
    from pyinstrument import Profiler  # noqa: PLC0415 - a dev tool, only here

    client = await database.connect()
    written = []
    try:
        await client.session.delete_many()
        for variant in ("ours", "baseline"):
            caller = await _caller(variant, client)
            for route in ("/read", "/incr"):
                profiler = Profiler(interval=0.0005, async_mode="enabled")
                with profiler:
                    for _ in range(calls):
                        await caller(route)
                path = WORK / f"profile-{database.name}-{variant}-{route.strip('/')}.txt"
                path.write_text(profiler.output_text(unicode=True, show_all=False))
                written.append(path)
    finally:
        await client.disconnect()
    return written

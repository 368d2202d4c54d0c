"""The middleware's own cost, without HTTP: the ASGI app called directly in
this process, ours against the baseline on one client, alternated; and a
pyinstrument profile of the hot path."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.types import Message

from .app import build
from .databases import WORK, BenchDatabase
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


@dataclass
class MiddlewareCost:
    """Per round: requests/s (wall clock) and this process's CPU time per
    request (microseconds; the engine runs in its own process), ours and the
    baseline's. CPU time is what the middleware adds, and other processes on
    the machine barely move it."""

    route: str
    wall: Comparison
    cpu_ours: list[float] = field(default_factory=list)
    cpu_baseline: list[float] = field(default_factory=list)


async def _timed(caller: Caller, route: str, calls: int) -> tuple[float, float]:
    """(requests per second, CPU microseconds per request) of ``calls`` requests."""
    cpu = time.process_time()
    wall = time.perf_counter()
    for _ in range(calls):
        await caller(route)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    return calls / wall, cpu / calls * 1e6


async def middleware_cost(
    database: BenchDatabase, *, rounds: int, calls: int
) -> list[MiddlewareCost]:
    """The bare ASGI app with our middleware against the baseline, alternated."""
    client = await database.connect()
    try:
        await client.session.delete_many()
        ours = await _caller("ours", client)
        baseline = await _caller("baseline", client)
        results = []
        for route in ("/read", "/incr"):
            cost = MiddlewareCost(route, Comparison(route, "ours", "baseline"))
            for caller in (ours, baseline):  # warm-up
                await _timed(caller, route, max(5, calls // 5))
            for round_number in range(rounds):
                if round_number % 2 == 0:
                    ours_rate, ours_cpu = await _timed(ours, route, calls)
                    base_rate, base_cpu = await _timed(baseline, route, calls)
                else:
                    base_rate, base_cpu = await _timed(baseline, route, calls)
                    ours_rate, ours_cpu = await _timed(ours, route, calls)
                cost.wall.ours.append(ours_rate)
                cost.wall.theirs.append(base_rate)
                cost.cpu_ours.append(ours_cpu)
                cost.cpu_baseline.append(base_cpu)
            results.append(cost)
        return results
    finally:
        await client.disconnect()


@dataclass
class _Row:
    id: str
    sid: str
    data: str
    expiresAt: datetime  # noqa: N815 - the model's column name


class _MemoryDelegate:
    """Answers the session queries from a dict: the middleware's own code
    timed without Prisma (a benchmark tool, never a test of behaviour)."""

    def __init__(self) -> None:
        self.rows: dict[str, _Row] = {}

    async def find_unique(self, where: Any) -> _Row | None:
        return self.rows.get(where["sid"])

    async def upsert(self, where: Any, data: Any) -> _Row:
        sid = where["sid"]
        row = self.rows.get(sid)
        if row is None:
            row = self.rows[sid] = _Row(**data["create"])
        else:
            row.data = data["update"]["data"]
            row.expiresAt = data["update"]["expiresAt"]
        return row

    async def find_many(self, *, where: Any = None) -> list[_Row]:
        raise NotImplementedError

    async def count(self, *, where: Any = None) -> int:
        raise NotImplementedError

    async def update_many(self, data: Any, where: Any) -> int:
        # A save of a loaded session (the sid alone; a touch's expiry filter
        # never comes up here: the sessions are fresh).
        row = self.rows.get(where["sid"])
        if row is None:
            return 0
        for name, value in data.items():
            setattr(row, name, value)
        return 1

    async def delete_many(self, where: Any = None) -> int:
        raise NotImplementedError


class _MemoryClient:
    def __init__(self) -> None:
        self.session = _MemoryDelegate()

    def is_connected(self) -> bool:
        return True

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None


async def code_cost(*, rounds: int, calls: int) -> list[MiddlewareCost]:
    """Like :func:`middleware_cost` with the queries answered from memory:
    the CPU of the middleware's and the store's own code, ours and the baseline's."""
    client = _MemoryClient()
    ours = await _caller("ours", client)
    baseline = await _caller("baseline", client)
    results = []
    for route in ("/read", "/incr"):
        cost = MiddlewareCost(route, Comparison(route, "ours", "baseline"))
        for caller in (ours, baseline):
            await _timed(caller, route, calls)
        for round_number in range(rounds):
            pair = [(ours, cost.cpu_ours), (baseline, cost.cpu_baseline)]
            for caller, cpu in pair if round_number % 2 == 0 else pair[::-1]:
                _, per_request = await _timed(caller, route, calls)
                cpu.append(per_request)
        results.append(cost)
    return results


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

"""Tools for the reliability tests: a small session app, a real uvicorn
server on a loopback port, a private PostgreSQL instance that can be stopped
and started, a summary of measured numbers, and the worker processes of the
two-process tests (``python -m tests.reliability_harness ...``)."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import http.cookiejar
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from prisma_session_store import (
    PrismaSessionStore,
    SessionMiddleware,
    destroy_session,
    regenerate_session,
)
from tests.conftest import client_module

ROOT = Path(__file__).resolve().parent.parent
SECRET = "reliability-secret-key-0123456789"

# -- the app ---------------------------------------------------------------------------


async def incr(request: Request) -> Response:
    """Count in the session; ``?token=`` tags the write so that the test can
    tell which request wrote the stored value."""
    n = request.session.get("n", 0) + 1
    request.session["n"] = n
    token = request.query_params.get("token")
    if token is not None:
        request.session["by"] = token
    return JSONResponse({"n": n, "by": token})


async def read(request: Request) -> Response:
    return JSONResponse(dict(request.session))


async def put(request: Request) -> Response:
    """Merge the JSON body into the session."""
    request.session.update(await request.json())
    return JSONResponse({"ok": True})


async def login(request: Request) -> Response:
    await regenerate_session(request)
    request.session["user"] = request.query_params.get("user", "alice")
    return JSONResponse({"user": request.session["user"]})


async def logout(request: Request) -> Response:
    await destroy_session(request)
    return JSONResponse({"user": None})


async def unencodable(request: Request) -> Response:
    request.session["bad"] = {1, 2, 3}  # a set: JSON cannot encode it
    return JSONResponse({"ok": True})


async def stream(request: Request) -> Response:
    """Changes the session after the response has started."""

    async def body() -> AsyncIterator[bytes]:
        yield b"first "
        request.session["late"] = request.query_params.get("value", "late")
        yield b"second"

    return StreamingResponse(body())


async def health(request: Request) -> Response:
    return Response("ok")


ROUTES = [
    Route("/incr", incr, methods=["GET", "POST"]),
    Route("/read", read),
    Route("/put", put, methods=["POST"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/unencodable", unencodable, methods=["POST"]),
    Route("/stream", stream),
    Route("/health", health),
]


def session_app(store: PrismaSessionStore, **options: Any) -> Starlette:
    """The test app behind SessionMiddleware (secret_key defaults to SECRET)."""
    options.setdefault("secret_key", SECRET)
    return Starlette(
        routes=ROUTES, middleware=[Middleware(SessionMiddleware, store=store, **options)]
    )


def asgi_client(app: Any, **options: Any) -> httpx.AsyncClient:
    """An httpx client that calls the app in process (5xx come back as responses)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", **options)


def set_cookie_value(response: httpx.Response, name: str = "session") -> str | None:
    """The value the response's Set-Cookie gives the cookie ``name`` ('' = expired)."""
    for header in response.headers.get_list("set-cookie"):
        cookie_name, _, rest = header.partition("=")
        if cookie_name == name:
            return rest.split(";", 1)[0]
    return None


def sid_of(cookie_value: str) -> str:
    """The session id in an itsdangerous-format cookie value."""
    return cookie_value.rsplit(".", 1)[0]


# -- a real server ---------------------------------------------------------------------


def loopback_socket() -> socket.socket:
    """A listening-ready socket on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def free_port() -> int:
    with contextlib.closing(loopback_socket()) as sock:
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run ``app`` under a real uvicorn server in this event loop; yields its URL.

    ``log_config=None`` leaves logging alone, so uvicorn's own error records
    ("Exception in ASGI application") reach pytest's caplog.
    """
    sock = loopback_socket()
    config = uvicorn.Config(
        app, lifespan="off", log_config=None, access_log=False, ws="none", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@contextlib.asynccontextmanager
async def served_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on ``app`` served by a real uvicorn server (see serve).

    It keeps no cookies: each request sends exactly the Cookie header it is given.
    """
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        client.cookies.jar.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        yield client


# -- numbers for the report ------------------------------------------------------------


class _SummaryPlugin:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.lines:
            terminalreporter.section("reliability measurements")
            for line in self.lines:
                terminalreporter.write_line(line)


def report(config: Any, line: str) -> None:
    """Add a line to the "reliability measurements" section of the run's summary."""
    plugin = config.pluginmanager.get_plugin("reliability-summary")
    if plugin is None:
        plugin = _SummaryPlugin()
        config.pluginmanager.register(plugin, "reliability-summary")
    plugin.lines.append(line)


# -- a private PostgreSQL instance -----------------------------------------------------


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return on_path


@dataclass
class PostgresInstance:
    """A throwaway PostgreSQL server on its own loopback port and data directory.

    PostgreSQL refuses to run as root, so as root it runs as the ``postgres``
    user. It never touches the shared server on 5432.
    """

    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pss-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, timeout=120, cwd="/tmp"
        )

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(
            _postgres_bin("initdb"),
            "-D",
            str(self.directory / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.directory} -c fsync=off"
        self._run(
            _postgres_bin("pg_ctl"),
            "-D",
            str(self.directory / "data"),
            "-l",
            str(self.directory / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` is a crash (no clean shutdown)."""
        self._run(
            _postgres_bin("pg_ctl"), "-D", str(self.directory / "data"), "-m", mode, "-w", "stop"
        )

    def running(self) -> bool:
        return (self.directory / "data" / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


# -- worker processes ------------------------------------------------------------------


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT), str(ROOT / ".generated"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    env.update(extra)
    return env


def app_from_env() -> Starlette:
    """The app of a uvicorn worker process (``--factory``): PSS_WORKER_PROVIDER
    and PSS_WORKER_URL name the database."""
    module = client_module(os.environ["PSS_WORKER_PROVIDER"])
    client = module.Prisma(datasource={"url": os.environ["PSS_WORKER_URL"]})
    store = PrismaSessionStore(client)
    app = session_app(store)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with store:
            yield

    app.router.lifespan_context = lifespan
    return app


class SimulatedClock:
    """Wall time running ``speed`` times faster, from a start shared by all
    processes (so that they agree on what has expired)."""

    def __init__(self, start: datetime, speed: float) -> None:
        self._start = start
        self._speed = speed
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        elapsed = (time.monotonic() - self._origin) * self._speed
        return self._start + timedelta(seconds=elapsed)


class _CountingStore(PrismaSessionStore):
    prunes = 0
    removed = 0

    async def prune(self) -> int:
        removed = await super().prune()
        self.prunes += 1
        self.removed += removed
        return removed


async def prune_worker(
    provider: str, url: str, name: str, *, start: str, speed: float, seconds: float
) -> dict[str, Any]:
    """Write short-lived sessions and prune every simulated second for
    ``seconds`` of simulated time; return what happened."""
    module = client_module(provider)
    errors: list[str] = []
    disposed: list[str] = []
    clock = SimulatedClock(datetime.fromisoformat(start), speed)
    store = _CountingStore(
        module.Prisma(datasource={"url": url}),
        check_period=1 / speed,  # one simulated second, in real seconds
        ttl=2,  # simulated seconds
        clock=clock,
        # One worker reads the rows before deleting them (dispose), the other not.
        dispose=(lambda sid, _session: disposed.append(sid)) if name == "a" else None,
        logger=False,
    )
    writes = 0
    async with store:
        await store.start_interval(on_interval_error=lambda error: errors.append(repr(error)))
        started = clock()
        while clock() - started < timedelta(seconds=seconds):
            try:
                await store.set(f"{name}-{writes:06d}-{random.randrange(10**8):08d}", {"w": writes})
                writes += 1
            except Exception as error:  # noqa: BLE001 - reported to the test
                errors.append(repr(error))
            await asyncio.sleep(0.005)
        await store.stop_interval()
    return {
        "prunes": store.prunes,
        "removed": store.removed,
        "writes": writes,
        "disposed": len(disposed),
        "errors": errors,
    }


def main(argv: list[str]) -> None:
    if argv[:1] == ["prune-worker"]:
        provider, url, name, start, speed, seconds = argv[1:]
        outcome = asyncio.run(
            prune_worker(
                provider, url, name, start=start, speed=float(speed), seconds=float(seconds)
            )
        )
        print(json.dumps(outcome))  # the parent reads it
        return
    raise SystemExit(f"usage: {sys.argv[0]} prune-worker PROVIDER URL NAME START SPEED SECONDS")


@contextlib.contextmanager
def uvicorn_process(provider: str, url: str) -> Iterator[str]:
    """A uvicorn subprocess serving ``app_from_env``; yields its URL."""
    sock = loopback_socket()
    sock.listen(64)
    fd = sock.fileno()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "tests.reliability_harness:app_from_env",
            "--fd",
            str(fd),
            "--log-level",
            "warning",
        ],
        pass_fds=[fd],
        env=subprocess_env(PSS_WORKER_PROVIDER=provider, PSS_WORKER_URL=url),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                _, err = process.communicate()
                raise RuntimeError(f"the app process exited: {err.decode()[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the app process did not start within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        sock.close()


def utc_now_text() -> str:
    return datetime.now(timezone.utc).isoformat()


if __name__ == "__main__":
    main(sys.argv[1:])

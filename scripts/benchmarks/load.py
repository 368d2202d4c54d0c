"""HTTP load: the app of :mod:`benchmarks.app` on uvicorn (one worker, a
subprocess on loopback) per variant, the Node store beside them, and wrk
driving each with existing session cookies, in alternated rounds."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .databases import ROOT, WORK, BenchDatabase

NODE_STORE = ROOT / "scripts" / "node-store"
# Sessions per server: the load rotates over them, one per connection at 32.
SESSIONS = 32
START_TIMEOUT = 90.0  # seconds: the Prisma engine starts with the app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One HTTP server process under test."""

    variant: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    cookies: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_python(variant: str, database: BenchDatabase) -> Server:
    port = free_port()
    log = WORK / f"server-{database.name}-{variant}.log"
    env = {
        **os.environ,
        "PSS_BENCH_VARIANT": variant,
        "PSS_BENCH_PROVIDER": database.name,
        "PSS_BENCH_URL": database.url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "scripts"), str(ROOT / ".generated")]),
    }
    env.pop("PRISMA_SESSION_STORE_ENGINE_QUERY_LOG", None)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    return Server(variant, process, port, log)


def node_store_available(provider: str) -> str | None:
    """None when the Node store can run on ``provider`` here, else why not."""
    if provider not in ("sqlite", "postgresql"):
        return "the Node side (scripts/node-store) runs on SQLite and PostgreSQL only"
    for needed in ("server.mjs", "node_modules", "generated"):
        if not (NODE_STORE / needed).exists():
            return f"scripts/node-store/{needed} is not there (run scripts/setup)"
    return None


def start_node(database: BenchDatabase) -> Server:
    """The Node original: express + express-session + @quixo3/prisma-session-store
    on Prisma 7 (scripts/node-store/server.mjs), same routes, same database."""
    port = free_port()
    log = WORK / f"server-{database.name}-node.log"
    env = {
        **os.environ,
        "PSS_NODE_PROVIDER": database.name,
        "DATABASE_URL": database.url,
        "PORT": str(port),
        "SESSION_SECRET": "benchmark-secret-key",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["node", "server.mjs"], cwd=NODE_STORE, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    return Server("node", process, port, log)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"the {server.variant} server exited ({server.process.returncode}); "
                f"see {server.log}:\n{server.log.read_text()[-2000:]}"
            )
        try:
            if httpx.get(f"{server.base}/read", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the {server.variant} server did not answer in time; see {server.log}")


def make_sessions(server: Server, count: int = SESSIONS) -> None:
    """``count`` stored sessions (one /incr each without a cookie), their cookies kept."""
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for _ in range(count):
            response = client.get("/incr")
            response.raise_for_status()
            set_cookie = response.headers.get("set-cookie")
            if not set_cookie:
                raise RuntimeError(f"the {server.variant} server set no session cookie on /incr")
            server.cookies.append(set_cookie.split(";", 1)[0])
            client.cookies.clear()
        check = client.get("/read", headers={"cookie": server.cookies[0]})
        # Python apps answer the counter, the Node app the session's JSON.
        if check.text.strip() != "1" and '"count":1' not in check.text:
            raise RuntimeError(
                f"the {server.variant} server did not read its session back: {check.text!r}"
            )


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install -y wrk)")
    return wrk


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    errors: int


_RPS = re.compile(r"Requests/sec:\s+([0-9.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def run_wrk(server: Server, route: str, connections: int, seconds: float) -> LoadResult:
    """Load ``route`` with ``connections`` connections (one wrk thread), the
    requests rotating over the server's session cookies."""
    script = WORK / f"cookies-{server.variant}-{server.port}.lua"
    if not script.exists():
        quoted = ", ".join(f'"{cookie}"' for cookie in server.cookies)
        script.write_text(
            f"local cookies = {{{quoted}}}\n"
            "local i = 0\n"
            "request = function()\n"
            "  i = i + 1\n"
            '  wrk.headers["Cookie"] = cookies[(i % #cookies) + 1]\n'
            "  return wrk.format()\n"
            "end\n"
        )
    command = [
        ensure_wrk(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"{server.base}{route}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = _RPS.search(output)
    if match is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    errors = sum(int(n) for n in _NON_2XX.findall(output))
    socket_errors = _SOCKET.search(output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return LoadResult(float(match.group(1)), errors)


def stop_all(servers: Sequence[Server]) -> None:
    for server in servers:
        server.stop()

"""The offline engine as a process: what Prisma Client Python sees of it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from prisma_test_sqlite._config import Config  # the generated client's own settings

from tests.conftest import ROOT, SCHEMAS

ENGINE = ROOT / "scripts" / "engine" / "query-engine"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_engine(schema: Path, url: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRISMA_DML_PATH": str(schema),
        "OVERWRITE_DATASOURCES": json.dumps([{"name": "db", "url": url}]),
    }
    return subprocess.run(
        [str(ENGINE), "-p", str(free_port()), "--enable-metrics", "--enable-raw-queries"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_version_is_the_engine_commit_the_client_expects() -> None:
    done = subprocess.run([str(ENGINE), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"query-engine {Config.load().expected_engine_version}"


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("postgresql", "postgresql://postgres@127.0.0.1:1/test?connect_timeout=2"),
        ("mysql", "mysql://root@127.0.0.1:1/test?connect_timeout=2&pool_timeout=2"),
        ("sqlite", "file:/nonexistent-directory/sessions.db"),
    ],
)
def test_unreachable_database_fails_fast_with_a_clear_message(provider: str, url: str) -> None:
    started = time.monotonic()
    done = run_engine(SCHEMAS / f"{provider}.prisma", url)
    assert done.returncode == 1
    assert time.monotonic() - started < 15
    assert f"cannot reach the {provider} database at" in done.stderr


def test_the_engine_exits_when_its_python_parent_is_killed(tmp_path: Path) -> None:
    database = tmp_path / "sessions.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from prisma_test_sqlite import Prisma

        async def main():
            client = Prisma(datasource={{"url": "file:{database}"}})
            await client.connect()
            print(client._engine.process.pid, flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / ".generated")},
        stdout=subprocess.PIPE,
        text=True,
    ) as parent:
        try:
            assert parent.stdout is not None
            engine_pid = int(parent.stdout.readline())
            assert _alive(engine_pid)
            parent.send_signal(signal.SIGKILL)  # no cleanup code runs in the parent
            parent.wait(timeout=10)
            deadline = time.monotonic() + 10
            while _alive(engine_pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _alive(engine_pid), "the engine outlived its parent"
        finally:
            parent.kill()  # a failed assertion must not leave it sleeping


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers signal 0: it has exited but not been reaped.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()

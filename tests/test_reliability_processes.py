"""Two app processes on one database: sessions move between them, and both
prune on an interval at the same time without errors."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timezone
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import httpx
import pytest

from tests.conftest import Database
from tests.reliability_harness import (
    ROOT,
    report,
    set_cookie_value,
    sid_of,
    subprocess_env,
    uvicorn_process,
)

SIMULATED_SECONDS = 60
SPEED = 30  # simulated seconds per real second: the minute takes two seconds


async def test_a_session_moves_between_two_app_processes(database: Database, prisma: Any) -> None:
    with (
        uvicorn_process(database.name, database.url) as first,
        uvicorn_process(database.name, database.url) as second,
    ):
        async with httpx.AsyncClient(timeout=30) as http:
            http.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
            created = await http.post(f"{first}/incr", params={"token": "first"})
            cookie = set_cookie_value(created)
            assert cookie
            headers = {"cookie": f"session={cookie}"}

            changed = await http.post(f"{second}/incr", params={"token": "second"}, headers=headers)
            assert changed.status_code == 200
            assert changed.json() == {"n": 2, "by": "second"}

            seen = await http.get(f"{first}/read", headers=headers)
            assert seen.json()["n"] == 2
            assert seen.json()["by"] == "second"

            # A login (regenerate) in one process ends the old id in the other.
            login = await http.post(f"{first}/login", headers=headers)
            new_cookie = set_cookie_value(login)
            assert new_cookie
            stale = await http.get(f"{second}/read", headers=headers)
            assert stale.json() == {}
            fresh = await http.get(f"{second}/read", headers={"cookie": f"session={new_cookie}"})
            assert fresh.json()["user"] == "alice"

    rows = await prisma.session.find_many()
    assert [row.sid for row in rows] == [sid_of(new_cookie)]


async def _worker(database: Database, name: str, start: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.reliability_harness",
        "prune-worker",
        database.name,
        database.url,
        name,
        start,
        str(SPEED),
        str(SIMULATED_SECONDS),
        cwd=ROOT,
        env=subprocess_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode()[-3000:]
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def test_two_processes_prune_at_the_same_time_without_errors(
    database: Database, prisma: Any, request: pytest.FixtureRequest
) -> None:
    start = datetime.now(timezone.utc).isoformat()
    a, b = await asyncio.gather(_worker(database, "a", start), _worker(database, "b", start))
    report(
        request.config,
        f"two processes pruning, {database.name}: {SIMULATED_SECONDS} simulated s; "
        f"a (with dispose): {a['prunes']} prunes, {a['removed']} removed, "
        f"{a['disposed']} disposed, {a['writes']} writes, "
        f"{len(a['errors'])} errors; b: {b['prunes']} prunes, {b['removed']} removed, "
        f"{b['writes']} writes, {len(b['errors'])} errors",
    )
    assert a["errors"] == []
    assert b["errors"] == []
    assert a["prunes"] > 0
    assert b["prunes"] > 0
    # Both wrote sessions that expired, and between them they pruned them:
    # each expired row was removed once (by one of them or by an expired read).
    assert a["removed"] + b["removed"] > 0
    assert a["removed"] + b["removed"] <= a["writes"] + b["writes"]

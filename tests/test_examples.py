"""The example apps (examples/) as users run them: in-process with their
lifespan on a temporary SQLite database, and scripts/demo end to end.

The examples use the client generated from the top-level schema.prisma
(SQLite), so these tests run on SQLite only.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import pathlib
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prisma import Prisma
from starlette.types import ASGIApp, Message

from prisma_session_store import PrismaSessionStore
from scripts.demo_driver import Table, sid_of
from tests.conftest import ROOT
from tests.test_store_interval import interval_tasks

SESSION_DDL = ROOT / "scripts" / "sql" / "session.sqlite.sql"

# How each app takes the login name: a url-encoded form (Starlette), JSON (FastAPI).
LOGIN_BODIES: dict[str, Callable[[str], dict[str, Any]]] = {
    "starlette": lambda name: {"data": {"name": name}},
    "fastapi": lambda name: {"json": {"name": name}},
}


@asynccontextmanager
async def lifespan(app: ASGIApp) -> AsyncIterator[None]:
    """Run the app's ASGI lifespan as a server does: startup, then shutdown."""
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}

    async def run() -> None:
        await app(scope, to_app.get, from_app.put)

    task = asyncio.create_task(run())

    async def exchange(event: str) -> None:
        await to_app.put({"type": f"lifespan.{event}"})
        answer = await from_app.get()
        if answer["type"] != f"lifespan.{event}.complete":
            raise RuntimeError(f"lifespan {event} failed: {answer.get('message')}")

    await exchange("startup")
    try:
        yield
    finally:
        await exchange("shutdown")
        await task


@dataclass
class RunningExample:
    name: str
    app: ASGIApp
    table: Table

    def client(self, cookie: str | None = None) -> httpx.AsyncClient:
        """A fresh client (its own cookie jar), optionally sending ``cookie`` as the session."""
        headers = {"cookie": f"session={cookie}"} if cookie else {}
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)

    async def login(self, client: httpx.AsyncClient, name: str) -> httpx.Response:
        return await client.post("/login", **LOGIN_BODIES[self.name](name))


@pytest.fixture(scope="module", params=["starlette", "fastapi"])
async def example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningExample]:
    """The example app, started once per module on its own SQLite file."""
    name: str = request.param
    path = tmp_path_factory.mktemp(f"example-{name}") / "sessions.db"
    with sqlite3.connect(path) as db:
        db.executescript(SESSION_DDL.read_text())
    url = f"file:{path}"
    module = importlib.import_module(f"examples.{name}_app")
    app: ASGIApp = module.app
    # The module-level Prisma() reads DATABASE_URL when the lifespan connects it.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", url)
        async with lifespan(app):
            env.undo()
            yield RunningExample(name, app, Table(url))


@pytest.fixture
def table(example: RunningExample) -> Table:
    """The example's Session table, emptied for this test."""
    with sqlite3.connect(example.table.path) as db:
        db.execute('DELETE FROM "Session"')
    return example.table


def session_cookie(response: httpx.Response) -> str | None:
    """The session cookie's value in the response's Set-Cookie, if it sets one."""
    header: str | None = response.headers.get("set-cookie")
    if header is None or "Max-Age=0" in header:
        return None
    return header.split(";")[0].removeprefix("session=")


def clears_cookie(response: httpx.Response) -> bool:
    return "Max-Age=0" in response.headers.get("set-cookie", "")


async def test_a_first_visit_sets_no_cookie_and_writes_no_row(
    example: RunningExample, table: Table
) -> None:
    async with example.client() as client:
        for path in ("/me", "/counter"):
            response = await client.get(path)
            assert response.status_code == 200
            assert "set-cookie" not in response.headers
    assert table.count() == 0


async def test_login_counter_and_logout(example: RunningExample, table: Table) -> None:
    async with example.client() as client:
        login = await example.login(client, "alice")
        assert login.json() == {"user": "alice"}
        cookie = session_cookie(login)
        assert cookie is not None
        assert "HttpOnly" in login.headers["set-cookie"]
        sid = sid_of(cookie)
        row = table.row(sid)
        assert row is not None
        assert row.data["user"] == "alice"

        for expected in (1, 2, 3):
            response = await client.post("/counter")
            assert response.json() == {"count": expected}
            row = table.row(sid)
            assert row is not None
            assert row.data["count"] == expected

        read = await client.get("/counter")
        assert read.json() == {"count": 3}
        assert "set-cookie" not in read.headers  # unchanged: no write, no cookie
        assert table.row(sid) == row
        assert (await client.get("/me")).json() == {"user": "alice"}

        logout = await client.post("/logout")
        assert logout.json() == {"user": None}
        assert clears_cookie(logout)
        assert table.row(sid) is None
        assert (await client.get("/me")).json() == {"user": None}
        assert (await client.get("/counter")).json() == {"count": 0}

    # The logged-out cookie, replayed, names no session any more.
    async with example.client(cookie) as replay:
        response = await replay.get("/me")
        assert response.json() == {"user": None}
        assert clears_cookie(response)
    assert table.count() == 0


async def test_login_gives_the_session_a_new_id_and_keeps_its_data(
    example: RunningExample, table: Table
) -> None:
    async with example.client() as client:
        anonymous = await client.post("/counter")
        before = session_cookie(anonymous)
        assert before is not None

        login = await example.login(client, "alice")
        after = session_cookie(login)
        assert after is not None
        assert sid_of(after) != sid_of(before)
        assert table.row(sid_of(before)) is None  # the old row is gone at once
        row = table.row(sid_of(after))
        assert row is not None
        assert (row.data["user"], row.data["count"]) == ("alice", 1)
        assert (await client.get("/counter")).json() == {"count": 1}
    assert table.count() == 1


async def test_a_tampered_cookie_logs_nobody_in_and_stores_nothing(
    example: RunningExample, table: Table
) -> None:
    async with example.client() as client:
        cookie = session_cookie(await example.login(client, "alice"))
    assert cookie is not None
    sid, _, signature = cookie.rpartition(".")
    other_id = f"{sid[:-1]}{'B' if sid.endswith('A') else 'A'}.{signature}"
    # The first character: the last one of a base64 HMAC partly holds padding
    # bits that decoding ignores, so changing it may leave the signature valid.
    bad_signature = f"{sid}.{'B' if signature.startswith('A') else 'A'}{signature[1:]}"
    stored = table.row(sid)

    for tampered in (other_id, bad_signature):
        async with example.client(tampered) as forger:
            response = await forger.get("/me")
            assert response.json() == {"user": None}
            assert clears_cookie(response)
            # Writing to the session starts a new one with an id of the server's choosing.
            counted = await forger.post("/counter")
            new_cookie = session_cookie(counted)
            assert new_cookie is not None
            assert sid_of(new_cookie) not in (sid, sid_of(other_id))
    assert table.row(sid_of(other_id)) is None
    assert table.row(sid) == stored


async def test_login_without_a_name_is_refused_and_starts_no_session(
    example: RunningExample, table: Table
) -> None:
    async with example.client() as client:
        response = await example.login(client, "")
        assert response.status_code in (400, 422)
        assert "set-cookie" not in response.headers
    assert table.count() == 0


@pytest.mark.parametrize("example", ["starlette"], indirect=True)
async def test_the_starlette_page_works_with_browser_forms(
    example: RunningExample, table: Table
) -> None:
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    async with example.client() as client:
        page = await client.get("/", headers=browser)
        assert page.status_code == 200
        assert 'action="/login"' in page.text
        assert "Not logged in." in page.text

        login = await client.post("/login", data={"name": "<alice>"}, headers=browser)
        assert (login.status_code, login.headers["location"]) == (303, "/")
        await client.post("/counter", headers=browser)
        page = await client.get("/", headers=browser)
        assert "Logged in as <b>&lt;alice&gt;</b>." in page.text
        assert "Counter: 1" in page.text
        assert 'action="/logout"' in page.text

        logout = await client.post("/logout", headers=browser)
        assert logout.status_code == 303
        assert "Not logged in." in (await client.get("/", headers=browser)).text
    assert table.count() == 0


@pytest.mark.timeout(240)
def test_scripts_demo_runs_every_step_and_exits_0() -> None:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    # Its own process group, so that a hung demo is stopped with its server.
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "demo")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=200)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, output
    for line in (
        "[1] first visit: GET /me (no cookie)",
        "[2] log in as alice: POST /login (no cookie)",
        '"user":"alice","count":3',
        "tampered cookie",
        "[9] log out: POST /logout",
        "row         none for sid",
        "All 10 steps behaved as expected.",
        "==> Demo passed",
    ):
        assert line in output, output


async def test_an_app_restarted_in_the_same_process_prunes_again(
    tmp_path: pathlib.Path,
) -> None:
    # The examples' lifespan is `async with store:` around a module-level
    # store, so a second start (tests, an in-process restart) enters it again.
    path = tmp_path / "sessions.db"
    with sqlite3.connect(path) as db:
        db.executescript(SESSION_DDL.read_text())
    store = PrismaSessionStore(
        Prisma(datasource={"url": f"file:{path}"}, use_dotenv=False), check_period=3600
    )
    others = set(interval_tasks())  # the example apps' own, if they are running
    for _ in range(2):
        async with store:
            assert len(set(interval_tasks()) - others) == 1
        assert set(interval_tasks()) == others

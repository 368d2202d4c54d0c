"""The Node original and this port on one Session table, with one login.

A real Express app (scripts/node-store/server.mjs: express-session and
``@quixo3/prisma-session-store`` on Prisma 7 with the official driver
adapters) runs as a subprocess on a free loopback port, on the same SQLite
file / PostgreSQL schema as the Python app (SessionMiddleware with
``cookie_format="express"`` and the same secret). Cookies are passed across
by hand. MariaDB is out of scope: the Node store has no driver adapter for
it here, so these tests run on SQLite and PostgreSQL only.

The Node side runs on its wall clock (in a time zone far from UTC, so that a
local-time DateTime would show); the Python store gets a FakeClock set to
the wall clock at the start of each test, which the tests move to make rows
live, expired or due for a touch on one side or the other.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httpx
import pytest

from tests.conftest import ROOT, selected_databases
from tests.helpers import FakeClock

if TYPE_CHECKING:
    from tests.conftest import Database
    from tests.middleware_harness import AppHarness, MakeApp, SetCookie
    from tests.store_harness import MakeStore

pytestmark = pytest.mark.parametrize(
    "database",
    [name for name in selected_databases() if name in ("sqlite", "postgresql")],
    indirect=True,
)

NODE_STORE = ROOT / "scripts" / "node-store"
SECRET = "shared-secret-between-node-and-python"
OLD_SECRET = "the-secret-before-rotation"
MAX_AGE = 60 * 60  # seconds, the cookie lifetime on both sides
NODE_TIME_ZONE = "Asia/Kathmandu"  # UTC+05:45
START_TIMEOUT = 60  # seconds for the Node server to listen
STOP_TIMEOUT = 10
# express-session's JSON for its cookie, as both sides write it.
COOKIE_KEYS = {"originalMaxAge", "expires", "httpOnly", "path", "sameSite"}
# How far apart the Node store's expiresAt and its cookie's expires may be:
# it reads the clock twice (cookie.maxAge, then now + maxAge). Also the slack
# around wall-clock bounds taken here: JavaScript's clock has milliseconds.
NODE_CLOCK_SLACK = timedelta(seconds=1)
MILLISECOND = timedelta(milliseconds=1)
SQLITE_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?\+00:00")


# -- the Node server -----------------------------------------------------------------


@dataclass
class NodeApp:
    """The Express app's HTTP client; cookies passed explicitly, never kept."""

    client: httpx.AsyncClient
    log: Path

    async def get(self, path: str, *, cookie: str | None = None) -> httpx.Response:
        headers = {"cookie": f"connect.sid={cookie}"} if cookie is not None else {}
        response = await self.client.get(path, headers=headers)
        self.client.cookies.clear()
        assert response.status_code == 200, (response.text, server_log(self.log))
        return response


def server_log(log: Path) -> str:
    """What the Node server wrote to stderr."""
    return log.read_text()


async def _wait_listening(process: asyncio.subprocess.Process, log: Path) -> int:
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode()
        if not line:
            await process.wait()
            raise RuntimeError(
                f"the Node store exited with {process.returncode}: {server_log(log)}"
            )
        if line.startswith("listening on "):
            return int(line.split()[-1])


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()


@pytest.fixture(scope="module")
async def node_app(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[NodeApp]:
    """The Node store's Express app on the test database, for this module."""
    if not (NODE_STORE / "generated" / database.name).is_dir():
        raise RuntimeError("the Node store is not installed: run scripts/setup")
    log = tmp_path_factory.mktemp("node-store") / f"{database.name}.log"
    # Its stdin is a pipe: when this process dies, the server sees EOF and exits.
    env = {**os.environ, "TZ": NODE_TIME_ZONE, "EXIT_WITH_STDIN": "1", "NODE_ENV": "test"}
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            "node",
            str(NODE_STORE / "server.mjs"),
            "--provider",
            database.name,
            "--url",
            database.url,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--max-age",
            str(MAX_AGE),
            "--secret",
            SECRET,
            "--secret",
            OLD_SECRET,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
    try:
        port = await asyncio.wait_for(_wait_listening(process, log), START_TIMEOUT)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield NodeApp(client, log)
    finally:
        await _stop(process)


# -- the Python app ------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    """The Python store's clock, starting at the wall clock (the Node side's)."""
    return FakeClock(datetime.now(timezone.utc))


@pytest.fixture
def py_app(make_app: MakeApp, make_store: MakeStore, clock: FakeClock) -> AppHarness:
    """SessionMiddleware in express mode on a store of the same database."""
    return make_app(
        store=make_store(clock=clock),
        cookie_format="express",
        secret_key=SECRET,
        max_age=MAX_AGE,
    )


# -- helpers -------------------------------------------------------------------------


def session_cookie(h: AppHarness, response: httpx.Response) -> SetCookie:
    """The response's connect.sid Set-Cookie (either app's)."""
    return h.session_cookie(response)


def parse_js_date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def row_of(h: AppHarness, sid: str) -> Any:
    row = await h.store.row(sid)
    assert row is not None, f"no row for {sid}"
    return row


def raw_sqlite_expires_at(database: Database, sid: str) -> tuple[str, str]:
    """(text, SQLite type) of a row's expiresAt, read past Prisma."""
    path = database.url.removeprefix("file:")
    with sqlite3.connect(path) as db:
        found = db.execute(
            'SELECT "expiresAt", typeof("expiresAt") FROM "Session" WHERE sid = ?', (sid,)
        ).fetchone()
    assert found is not None, f"no row for {sid}"
    return found[0], found[1]


def assert_compact_json(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    assert text == json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return data


def assert_express_cookie_value(h: AppHarness, value: str) -> str:
    """``s:<sid>.<signature>``, URL-encoded as express-session writes it; returns the sid."""
    raw = unquote(value)
    assert raw.startswith("s:"), raw
    assert "." in raw, raw
    assert value.startswith("s%3A"), value
    assert "/" not in value, value  # the base64 signature's / and + are escaped
    assert "+" not in value, value
    sid = h.sid_of(value)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", sid), sid  # uid-safe(24)
    return sid


# -- one login across both apps ------------------------------------------------------


async def test_a_node_session_is_read_changed_and_destroyed_by_python(
    node_app: NodeApp, py_app: AppHarness
) -> None:
    response = await node_app.get("/incr")
    node_cookie = session_cookie(py_app, response)
    assert node_cookie.name == "connect.sid"
    assert node_cookie.attributes["path"] == "/"
    assert node_cookie.attributes["httponly"] is True
    assert node_cookie.attributes["samesite"] == "Lax"
    cookie = node_cookie.value
    sid = assert_express_cookie_value(py_app, cookie)
    assert (await node_app.get("/incr", cookie=cookie)).json() == {"count": 2}

    assert (await py_app.get("/read", cookie=cookie)).json() == {"count": 2}
    changed = await py_app.get("/incr", cookie=cookie)
    assert changed.json() == {"count": 3}
    # Python re-sends the very cookie Express signed: same id, same signature.
    assert session_cookie(py_app, changed).value == cookie

    session = (await node_app.get("/read", cookie=cookie)).json()
    assert session["count"] == 3
    assert (await node_app.get("/whoami", cookie=cookie)).json() == {"sid": sid, "stored": True}

    ended = await py_app.get("/logout", cookie=cookie)
    assert session_cookie(py_app, ended).deletes
    assert await py_app.store.row(sid) is None
    who = (await node_app.get("/whoami", cookie=cookie)).json()
    assert who["stored"] is False
    assert who["sid"] != sid  # Express starts a new session, it does not adopt the id
    assert "count" not in (await node_app.get("/read", cookie=cookie)).json()


async def test_a_python_session_is_read_changed_and_destroyed_by_node(
    node_app: NodeApp, py_app: AppHarness
) -> None:
    created = await py_app.get("/incr")
    cookie = session_cookie(py_app, created).value
    sid = assert_express_cookie_value(py_app, cookie)

    session = (await node_app.get("/read", cookie=cookie)).json()
    assert session["count"] == 1
    assert (await node_app.get("/whoami", cookie=cookie)).json() == {"sid": sid, "stored": True}
    changed = await node_app.get("/incr", cookie=cookie)
    assert changed.json() == {"count": 2}
    assert session_cookie(py_app, changed).value == cookie  # Express signs it the same way

    assert (await py_app.get("/read", cookie=cookie)).json() == {"count": 2}
    named = await node_app.get("/set?key=user&value=alice", cookie=cookie)
    assert named.json()["user"] == "alice"
    assert (await py_app.get("/read", cookie=cookie)).json() == {"count": 2, "user": "alice"}

    assert (await node_app.get("/destroy", cookie=cookie)).json() == {"destroyed": True}
    assert await py_app.store.row(sid) is None
    after = await py_app.get("/read", cookie=cookie)
    assert after.json() == {}
    assert session_cookie(py_app, after).deletes


async def test_a_cookie_signed_with_an_older_secret_works_on_both_sides(
    node_app: NodeApp, make_app: MakeApp, make_store: MakeStore, clock: FakeClock
) -> None:
    # Express has [SECRET, OLD_SECRET]; this Python app still signs with the old one.
    old = make_app(
        store=make_store(clock=clock),
        cookie_format="express",
        secret_key=OLD_SECRET,
        max_age=MAX_AGE,
    )
    cookie = session_cookie(old, await old.get("/incr")).value
    changed = await node_app.get("/incr", cookie=cookie)
    assert changed.json() == {"count": 2}
    resigned = session_cookie(old, changed).value  # Express re-signs with its newest secret
    assert resigned != cookie
    assert old.sid_of(resigned) == old.sid_of(cookie)

    rotated = make_app(
        store=make_store(clock=clock),
        cookie_format="express",
        secret_key=[SECRET, OLD_SECRET],
        max_age=MAX_AGE,
    )
    assert (await rotated.get("/read", cookie=resigned)).json() == {"count": 2}
    # The Python app with both keys re-signs an old cookie exactly as Express did.
    assert session_cookie(rotated, await rotated.get("/read", cookie=cookie)).value == resigned


# -- the rows ------------------------------------------------------------------------


async def test_rows_written_by_either_side_have_the_same_shape(
    node_app: NodeApp, py_app: AppHarness, database: Database, clock: FakeClock
) -> None:
    before = datetime.now(timezone.utc)
    node_cookie = session_cookie(py_app, await node_app.get("/set?key=user&value=alice")).value
    after = datetime.now(timezone.utc)
    py_cookie = session_cookie(
        py_app, await py_app.request("POST", "/write", json_body={"user": "alice"})
    ).value
    node_row = await row_of(py_app, py_app.sid_of(node_cookie))
    py_row = await row_of(py_app, py_app.sid_of(py_cookie))

    node_data = assert_compact_json(node_row.data)
    py_data = assert_compact_json(py_row.data)
    assert set(node_data) == set(py_data) == {"cookie", "user"}
    assert set(node_data["cookie"]) == set(py_data["cookie"]) == COOKIE_KEYS
    for data in (node_data, py_data):
        assert data["user"] == "alice"
        assert data["cookie"]["originalMaxAge"] == MAX_AGE * 1000
        assert data["cookie"]["httpOnly"] is True
        assert data["cookie"]["path"] == "/"
        assert data["cookie"]["sameSite"] == "lax"
    # Same key order too: the text is what JSON.stringify writes.
    assert list(node_data["cookie"]) == list(py_data["cookie"])

    # expiresAt is the cookie's expiry on both sides, in UTC.
    node_expires = parse_js_date(node_data["cookie"]["expires"])
    assert abs(node_row.expiresAt - node_expires) <= NODE_CLOCK_SLACK
    assert before + timedelta(seconds=MAX_AGE) - NODE_CLOCK_SLACK <= node_row.expiresAt
    assert node_row.expiresAt <= after + timedelta(seconds=MAX_AGE) + NODE_CLOCK_SLACK
    py_expires = parse_js_date(py_data["cookie"]["expires"])
    assert py_row.expiresAt == py_expires
    assert py_expires - clock.now <= timedelta(seconds=MAX_AGE)
    assert py_expires - clock.now > timedelta(seconds=MAX_AGE - 1)

    # Record ids are not session ids on either side.
    assert node_row.id != node_row.sid
    assert py_row.id != py_row.sid

    # Each side reads the other's row as it was written.
    assert await py_app.store.store.get(node_row.sid) == node_data
    assert (await node_app.get("/read", cookie=py_cookie)).json() == py_data

    if database.name == "sqlite":
        # Both engines store DateTime as ISO 8601 text with a +00:00 offset.
        for sid in (node_row.sid, py_row.sid):
            text, kind = raw_sqlite_expires_at(database, sid)
            assert kind == "text"
            assert SQLITE_DATETIME.fullmatch(text), text


async def test_whole_second_expiry_written_by_python_is_read_by_node(
    node_app: NodeApp, make_app: MakeApp, make_store: MakeStore, database: Database
) -> None:
    # round_ttl with a ttl in whole seconds: expiresAt falls on a whole
    # second, which the Python side's engine writes without milliseconds on
    # SQLite ("...:05+00:00") and Prisma 7 with ".000".
    rounded = make_app(
        store=make_store(clock=FakeClock(datetime.now(timezone.utc)), ttl=MAX_AGE, round_ttl=1),
        cookie_format="express",
        secret_key=SECRET,
        max_age=MAX_AGE,
    )
    cookie = session_cookie(rounded, await rounded.get("/incr")).value
    sid = rounded.sid_of(cookie)
    row = await row_of(rounded, sid)
    assert row.expiresAt.microsecond == 0
    if database.name == "sqlite":
        text, _ = raw_sqlite_expires_at(database, sid)
        assert text == row.expiresAt.isoformat()  # no fraction

    assert (await node_app.get("/read", cookie=cookie)).json()["count"] == 1
    assert (await node_app.get("/whoami", cookie=cookie)).json() == {"sid": sid, "stored": True}


async def test_the_python_store_counts_and_prunes_node_rows(
    node_app: NodeApp, py_app: AppHarness
) -> None:
    live = py_app.sid_of(session_cookie(py_app, await node_app.get("/incr")).value)
    expired = py_app.sid_of(session_cookie(py_app, await node_app.get("/incr")).value)
    store, clock = py_app.store.store, py_app.store.clock
    await py_app.store.prisma.session.update(
        where={"sid": expired}, data={"expiresAt": clock.now - timedelta(seconds=1)}
    )
    assert await store.length() == 1
    assert await store.ids() == [live]
    assert set(await store.all()) == {live}
    assert await store.prune() == 1
    assert await py_app.store.row(expired) is None
    assert await py_app.store.row(live) is not None


# -- expiry and touch ----------------------------------------------------------------


async def test_python_expires_a_node_session_when_node_would(
    node_app: NodeApp, py_app: AppHarness, clock: FakeClock
) -> None:
    cookie = session_cookie(py_app, await node_app.get("/incr")).value
    sid = py_app.sid_of(cookie)
    clock.advance(MAX_AGE - 5)
    # (The store directly: a request now would touch the session.)
    assert await py_app.store.store.get(sid) is not None
    clock.advance(10)
    expired = await py_app.get("/read", cookie=cookie)
    assert expired.json() == {}
    assert session_cookie(py_app, expired).deletes
    assert await py_app.store.row(sid) is None


async def test_node_expires_a_python_session_by_its_expires_at(
    node_app: NodeApp, py_app: AppHarness, clock: FakeClock
) -> None:
    # Written as if an hour ago, and one second ago: expired for Express.
    clock.advance(-(MAX_AGE + 1))
    cookie = session_cookie(py_app, await py_app.get("/incr")).value
    sid = py_app.sid_of(cookie)
    assert await py_app.store.row(sid) is not None
    assert "count" not in (await node_app.get("/read", cookie=cookie)).json()
    assert await py_app.store.row(sid) is None  # the Node store deleted it

    # Written a minute short of an hour ago: still live for Express.
    clock.advance(60)
    cookie = session_cookie(py_app, await py_app.get("/incr")).value
    assert (await node_app.get("/read", cookie=cookie)).json()["count"] == 1


async def test_python_touches_a_node_session_without_rewriting_its_data(
    node_app: NodeApp, py_app: AppHarness, clock: FakeClock
) -> None:
    cookie = session_cookie(py_app, await node_app.get("/incr")).value
    sid = py_app.sid_of(cookie)
    written = await row_of(py_app, sid)

    clock.advance(MAX_AGE / 2)  # well past the touch threshold (a tenth)
    assert (await py_app.get("/read", cookie=cookie)).json() == {"count": 1}
    touched = await row_of(py_app, sid)
    # Stored with millisecond precision.
    assert abs(touched.expiresAt - (clock.now + timedelta(seconds=MAX_AGE))) < MILLISECOND
    assert touched.data == written.data  # Express's cookie object kept as it was

    session = (await node_app.get("/read", cookie=cookie)).json()
    assert session["count"] == 1


async def test_node_touches_a_python_session_like_python_would(
    node_app: NodeApp, py_app: AppHarness, clock: FakeClock
) -> None:
    clock.advance(-MAX_AGE / 2)  # created half an hour ago
    cookie = session_cookie(py_app, await py_app.get("/incr")).value
    sid = py_app.sid_of(cookie)
    written = await row_of(py_app, sid)

    before = datetime.now(timezone.utc)
    assert (await node_app.get("/read", cookie=cookie)).json()["count"] == 1
    after = datetime.now(timezone.utc)
    touched = await row_of(py_app, sid)
    assert touched.expiresAt > written.expiresAt
    assert before + timedelta(seconds=MAX_AGE) - NODE_CLOCK_SLACK <= touched.expiresAt
    assert touched.expiresAt <= after + timedelta(seconds=MAX_AGE) + NODE_CLOCK_SLACK
    # The Node store's touch rewrites the cookie object: its expiry moves too.
    data = assert_compact_json(touched.data)
    assert data["count"] == 1
    assert abs(parse_js_date(data["cookie"]["expires"]) - touched.expiresAt) <= NODE_CLOCK_SLACK

    clock.now = datetime.now(timezone.utc)
    assert (await py_app.get("/read", cookie=cookie)).json() == {"count": 1}

"""Misconfiguration caught at start, unreadable rows, and database failures
that surface from the failing call and heal when the database is back."""

from __future__ import annotations

import asyncio
import importlib
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from prisma_session_store import ConfigurationError, PrismaSessionStore
from tests.conftest import Database, with_path
from tests.helpers import RecordingLogger
from tests.store_harness import MakeStore
from tests.tcp_proxy import TcpProxy

# -- misconfiguration ----------------------------------------------------------------


def test_unknown_model_name_fails_at_construction(prisma: Any) -> None:
    with pytest.raises(
        ConfigurationError, match=r"no model delegate 'sessions'.*session_model_name"
    ):
        PrismaSessionStore(prisma, session_model_name="sessions")


def test_attribute_that_is_not_a_delegate_fails_at_construction(prisma: Any) -> None:
    with pytest.raises(ConfigurationError, match="not a Prisma model delegate"):
        PrismaSessionStore(prisma, session_model_name="connect")


def test_sync_client_fails_with_what_to_do() -> None:
    sync_client = importlib.import_module("prisma_test_sync").Prisma()
    with pytest.raises(ConfigurationError, match='interface = "asyncio"'):
        PrismaSessionStore(sync_client)


@pytest.fixture
async def client_without_tables(database: Database, tmp_path: Path) -> AsyncIterator[Any]:
    """A client on a database where the Session table does not exist."""
    cleanup = None
    if database.name == "sqlite":
        url = f"file:{tmp_path / 'empty.db'}"
    elif database.name == "postgresql":
        url = database.url.replace("schema=", "schema=missing_")
    else:
        name = f"{urlsplit(database.url).path.strip('/')}_empty"
        await database.client.execute_raw(f"CREATE DATABASE IF NOT EXISTS `{name}`")
        url = with_path(database.url, name)
        cleanup = f"DROP DATABASE `{name}`"
    client = database.module.Prisma(datasource={"url": url})
    yield client
    if client.is_connected():
        await client.disconnect()
    if cleanup:
        await database.client.execute_raw(cleanup)


async def test_missing_table_fails_at_start_with_what_to_do(client_without_tables: Any) -> None:
    store = PrismaSessionStore(client_without_tables)
    with pytest.raises(ConfigurationError, match="prisma db push"):
        async with store:
            pass


async def test_missing_table_fails_at_first_use_with_what_to_do(
    client_without_tables: Any,
) -> None:
    store = PrismaSessionStore(client_without_tables)
    with pytest.raises(ConfigurationError, match=r"missing or out of date.*prisma db push"):
        await store.get("sid-0")
    with pytest.raises(ConfigurationError, match="prisma db push"):
        await store.set("sid-0", {})
    await store.shutdown()


# -- unreadable rows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ("{ invalid json", "stored data is unreadable (JSONDecodeError)"),
        ("", "stored data is unreadable (JSONDecodeError)"),
        ("[1, 2]", "stored data is a list, not an object"),
        ('"text"', "stored data is a str, not an object"),
        ("42", "stored data is a int, not an object"),
    ],
)
async def test_unreadable_row_is_no_session_and_logged_once(
    make_store: MakeStore, stored: str, problem: str
) -> None:
    h = make_store()
    await h.insert("corrupted-row", {}, expires_in=60)
    await h.prisma.session.update(where={"sid": "corrupted-row"}, data={"data": stored})
    assert await h.store.get("corrupted-row") is None
    assert h.logger.messages("error") == [f"get corrup...: {problem}; treated as no session"]


async def test_all_skips_unreadable_rows(make_store: MakeStore) -> None:
    h = make_store()
    await h.insert("good-row", {"ok": True}, expires_in=60)
    await h.insert("corrupted-row", {}, expires_in=60)
    await h.prisma.session.update(where={"sid": "corrupted-row"}, data={"data": "nope"})
    assert await h.store.all() == {"good-row": {"ok": True}}
    assert len(h.logger.messages("error")) == 1


# -- database failures ---------------------------------------------------------------


async def _assert_recovers(store: PrismaSessionStore, break_db: Any, heal_db: Any) -> None:
    await store.set("sid-0", {"before": True})
    await break_db()
    for operation in (store.get("sid-0"), store.set("sid-0", {"during": True}), store.length()):
        with pytest.raises(Exception) as caught:  # noqa: PT011 - any database error will do
            await asyncio.wait_for(operation, timeout=30)
        assert not isinstance(caught.value, (ConfigurationError, asyncio.TimeoutError))
        # The driver's reason reaches the message, not only the engine's
        # "Error in external connector (id N)".
        assert not re.search(r"external connector \(id \d+\)(?!:)", str(caught.value))
    await heal_db()
    # The same store and client work again, without a restart.
    assert await store.get("sid-0") == {"before": True}
    await store.set("sid-0", {"after": True})
    assert await store.get("sid-0") == {"after": True}


async def test_database_errors_surface_and_the_store_recovers(
    database: Database, tmp_path: Path
) -> None:
    close_proxy = None
    if database.name == "sqlite":
        # Another writer holding an exclusive lock: the database is busy.
        path = Path(database.url.removeprefix("file:"))
        client = database.module.Prisma(datasource={"url": f"file:{path}?socket_timeout=1"})
        blocker = sqlite3.connect(path, isolation_level=None)

        async def break_db() -> None:
            blocker.execute("BEGIN EXCLUSIVE")

        async def heal_db() -> None:
            blocker.execute("ROLLBACK")

    else:
        # The server drops off the network, then comes back.
        parts = urlsplit(database.url)
        proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 0)
        await proxy.start()
        netloc = parts.netloc.rsplit(":", 1)[0] + f":{proxy.port}"
        query = parts.query + ("&" if parts.query else "") + "connect_timeout=2"
        url = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
        client = database.module.Prisma(datasource={"url": url})
        break_db, heal_db, close_proxy = proxy.cut, proxy.restore, proxy.cut

    store = PrismaSessionStore(client, logger=RecordingLogger())
    try:
        await _assert_recovers(store, break_db, heal_db)
    finally:
        await store.shutdown()
        if close_proxy is not None:
            await close_proxy()


# -- unique violations -----------------------------------------------------------------------


async def test_a_lost_insert_race_is_retried(make_store: MakeStore, database: Database) -> None:
    h = make_store()
    # What MySQL's emulated upsert raises when another writer inserted the sid
    # between its SELECT and its INSERT.
    h.client.delegate.fail_next["upsert"] = await _unique_violation(database)
    await h.store.set("raced", {"won": True})
    assert h.calls == ["upsert", "upsert"]
    assert await h.store.get("raced") == {"won": True}


async def test_a_lasting_unique_violation_raises_after_a_few_tries(
    make_store: MakeStore, database: Database
) -> None:
    # Every new row gets the same id: the second sid can never be inserted.
    h = make_store(db_record_id_function=lambda sid: "same-id")
    await h.store.set("first", {})
    with pytest.raises(database.module.errors.UniqueViolationError):
        await h.store.set("second", {})
    assert h.calls.count("upsert") == 1 + 4
    assert await h.store.ids() == ["first"]


async def _unique_violation(database: Database) -> BaseException:
    """A genuine UniqueViolationError from the database."""
    client = database.new_client()
    await client.connect()
    try:
        row = {"id": "dup", "sid": "dup", "data": "{}", "expiresAt": datetime.now(timezone.utc)}
        await client.session.create(data=row)
        await client.session.create(data=row)
    except database.module.errors.UniqueViolationError as error:
        return error
    finally:
        await client.session.delete_many(where={"sid": "dup"})
        await client.disconnect()
    raise AssertionError("no unique violation")


async def test_a_deadlock_victim_is_run_again(make_store: MakeStore, database: Database) -> None:
    h = make_store()
    await h.store.set("victim", {"n": 1})
    before = await h.expires_at("victim")
    # What the engine answers when InnoDB picks one of Prisma's small write
    # transactions as a deadlock victim (it was rolled back whole).
    deadlock = {"user_facing_error": {"error_code": "P2034", "message": "write conflict"}}
    for method in ("update_many", "delete_many"):
        h.client.delegate.fail_next[method] = database.module.errors.DataError(deadlock)
    h.clock.advance(60)
    h.client.calls.clear()
    await h.store.touch("victim", {"n": 1})
    assert await h.expires_at("victim") == before + timedelta(seconds=60)
    await h.store.destroy("victim")
    assert h.calls == ["update_many", "update_many", "delete_many", "delete_many"]
    assert await h.row("victim") is None

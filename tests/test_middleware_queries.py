"""The store queries each kind of request costs, counted twice: the Prisma
calls the store makes (the CountingClient) and the SQL statements the
engine runs (its query log, by first keyword)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Awaitable

    import httpx

    from tests.conftest import Database
    from tests.middleware_harness import AppHarness, MakeApp

DAY = 24 * 60 * 60

# One Prisma upsert in SQL: native on SQLite and PostgreSQL; Prisma emulates
# it on MySQL in a transaction (find the row, update or insert, read it back).
UPSERT_NEW = {
    "sqlite": ["INSERT"],
    "postgresql": ["INSERT"],
    "mysql": ["BEGIN", "SELECT", "INSERT", "SELECT", "COMMIT"],
}
# A save of a loaded session and a touch are one UPDATE each (an update, so
# that a session ended meanwhile is not brought back); Prisma runs every
# update_many in a transaction.
UPDATE = ["BEGIN", "UPDATE", "COMMIT"]


async def measure(
    h: AppHarness, database: Database, request: Awaitable[httpx.Response]
) -> tuple[list[str], list[str]]:
    """(Prisma calls, SQL statement kinds) of one request."""
    mark = database.sql_log.mark()
    h.store.client.delegate.reset()
    response = await request
    assert response.status_code < 400
    return list(h.calls), [kind(statement) for statement in database.sql_log.statements(mark)]


def kind(statement: str) -> str:
    """A statement's first keyword; the SQLite adapter logs the transaction
    statements it runs itself as ``-- Implicit "BEGIN" query ...``."""
    implicit = re.match(r'-- Implicit "(\w+)"', statement)
    return implicit.group(1) if implicit else statement.split(maxsplit=1)[0].upper()


async def test_no_cookie_and_no_session_use_costs_nothing(
    make_app: MakeApp, database: Database
) -> None:
    h = make_app()
    assert await measure(h, database, h.get("/plain")) == ([], [])


async def test_no_cookie_and_an_empty_session_costs_nothing(
    make_app: MakeApp, database: Database
) -> None:
    h = make_app()
    assert await measure(h, database, h.get("/read")) == ([], [])


async def test_a_new_session_costs_one_upsert(make_app: MakeApp, database: Database) -> None:
    h = make_app()
    calls, sql = await measure(h, database, h.get("/incr"))
    assert calls == ["upsert"]
    assert sql == UPSERT_NEW[database.name]


async def test_a_read_costs_one_query(make_app: MakeApp, database: Database) -> None:
    h = make_app()
    value, _ = await h.start()
    assert await measure(h, database, h.get("/read", cookie=value)) == (
        ["find_unique"],
        ["SELECT"],
    )


async def test_a_write_costs_the_read_and_one_update(make_app: MakeApp, database: Database) -> None:
    h = make_app()
    value, _ = await h.start()
    calls, sql = await measure(h, database, h.get("/incr", cookie=value))
    assert calls == ["find_unique", "update_many"]
    assert sql == ["SELECT", *UPDATE]


async def test_an_unmodified_session_within_the_window_costs_one_query(
    make_app: MakeApp, database: Database
) -> None:
    h = make_app()
    value, _ = await h.start()
    for _ in range(3):
        h.store.clock.advance(DAY / 3)
        assert await measure(h, database, h.get("/read", cookie=value)) == (
            ["find_unique"],
            ["SELECT"],
        )


async def test_an_unmodified_session_after_the_window_costs_a_read_and_a_touch(
    make_app: MakeApp, database: Database
) -> None:
    h = make_app()
    value, _ = await h.start()
    h.store.clock.advance(2 * DAY)
    assert await measure(h, database, h.get("/read", cookie=value)) == (
        ["find_unique", "update_many"],
        ["SELECT", *UPDATE],
    )
    # and then the window starts again
    assert await measure(h, database, h.get("/read", cookie=value)) == (
        ["find_unique"],
        ["SELECT"],
    )


async def test_rolling_costs_no_extra_query(make_app: MakeApp, database: Database) -> None:
    h = make_app(rolling=True)
    value, _ = await h.start()
    assert await measure(h, database, h.get("/read", cookie=value)) == (
        ["find_unique"],
        ["SELECT"],
    )


async def test_emptying_costs_the_read_and_one_delete(
    make_app: MakeApp, database: Database
) -> None:
    h = make_app()
    value, _ = await h.start()
    assert await measure(h, database, h.get("/clear", cookie=value)) == (
        ["find_unique", "delete_many"],
        ["SELECT", "DELETE"],
    )


async def test_regenerate_costs_the_read_a_delete_and_one_upsert(
    make_app: MakeApp, database: Database
) -> None:
    h = make_app()
    value, _ = await h.start()
    calls, sql = await measure(h, database, h.request("POST", "/login", cookie=value))
    assert calls == ["find_unique", "delete_many", "upsert"]
    assert sql == ["SELECT", "DELETE", *UPSERT_NEW[database.name]]


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        ("not-a-signed-id", ([], [])),
        ("unknown-but-signed", (["find_unique"], ["SELECT"])),
    ],
)
async def test_a_cookie_naming_no_session(
    make_app: MakeApp, database: Database, cookie: str, expected: tuple[list[str], list[str]]
) -> None:
    h = make_app()
    if cookie == "unknown-but-signed":
        # A genuine cookie whose session has gone.
        cookie, _ = await h.start()
        await h.store.store.clear()
    assert await measure(h, database, h.get("/read", cookie=cookie)) == expected

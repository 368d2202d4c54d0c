"""Fixtures: real Prisma clients on real SQLite, PostgreSQL and MariaDB.

Every test that asks for ``prisma`` (or ``database``) runs once per database,
on a client connected once per run, with empty tables. Each run works in its
own SQLite file, PostgreSQL schema and MariaDB database, created here from
the checked-in DDL (tests/schemas/<provider>.sql) and dropped at the end.

Servers: PSS_TEST_POSTGRESQL_URL (default postgresql://postgres@127.0.0.1:5432/test)
and PSS_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test). A server
that does not answer is a test error, never a skip. Users without one can
run a subset with PSS_TEST_DATABASES=sqlite (CI never sets it).
"""

from __future__ import annotations

import importlib
import json
import os
import sqlite3
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "tests" / "schemas"
ALL_DATABASES = ("sqlite", "postgresql", "mysql")
SERVER_URLS = {
    "postgresql": os.environ.get(
        "PSS_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("PSS_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}
pytest_plugins = ["tests.store_harness", "tests.middleware_harness"]

QUERY_LOG_VARIABLE = "PRISMA_SESSION_STORE_ENGINE_QUERY_LOG"


def selected_databases() -> tuple[str, ...]:
    raw = os.environ.get("PSS_TEST_DATABASES", "").strip()
    if not raw:
        return ALL_DATABASES
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    unknown = sorted(set(names) - set(ALL_DATABASES))
    if unknown:
        raise pytest.UsageError(f"PSS_TEST_DATABASES: unknown database(s) {unknown}")
    return names


def ddl_statements(provider: str) -> list[str]:
    """The statements of tests/schemas/<provider>.sql, comments dropped."""
    text = (SCHEMAS / f"{provider}.sql").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


def client_module(provider: str) -> Any:
    try:
        return importlib.import_module(f"prisma_test_{provider}")
    except ImportError as error:
        raise RuntimeError(
            f"the test client for {provider} is not generated: run scripts/setup"
        ) from error


def with_path(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


@dataclass
class SqlLog:
    """The SQL statements the engine ran, read from its query log file."""

    path: Path

    def mark(self) -> int:
        return len(self.statements())

    def statements(self, since: int = 0) -> list[str]:
        if not self.path.exists():
            return []
        # One JSON object per line. Split on "\n" only: str.splitlines() also
        # breaks at characters such as U+2028 that JSON leaves raw in strings.
        lines = self.path.read_text(encoding="utf-8").split("\n")[:-1]
        return [json.loads(line)["query"] for line in lines[since:]]


@dataclass
class Database:
    """One database of the run and the Prisma client connected to it."""

    name: str
    url: str
    module: Any
    client: Any
    sql_log: SqlLog
    cleanup: list[Any] = field(default_factory=list)

    def new_client(self, **options: Any) -> Any:
        """Another (unconnected) client on the same database."""
        return self.module.Prisma(datasource={"url": self.url}, **options)


async def _connect(module: Any, url: str, log_path: Path) -> Any:
    # The engine inherits the environment at connect time.
    os.environ[QUERY_LOG_VARIABLE] = str(log_path)
    try:
        client = module.Prisma(datasource={"url": url})
        await client.connect()
    finally:
        del os.environ[QUERY_LOG_VARIABLE]
    return client


async def _prepare(name: str, tmp: Path) -> Database:
    module = client_module(name)
    log = SqlLog(tmp / f"{name}-queries.jsonl")
    run = f"pss_test_{os.getpid()}"
    if name == "sqlite":
        path = tmp / "sessions.db"
        with sqlite3.connect(path) as db:
            for statement in ddl_statements(name):
                db.execute(statement)
        url = f"file:{path}"
        return Database(name, url, module, await _connect(module, url, log.path), log)

    if name == "postgresql":
        server = SERVER_URLS[name]
        separator = "&" if urlsplit(server).query else "?"
        url = f"{server}{separator}schema={run}"
        client = await _connect(module, url, log.path)
        await client.execute_raw(f'DROP SCHEMA IF EXISTS "{run}" CASCADE')
        await client.execute_raw(f'CREATE SCHEMA "{run}"')
        for statement in ddl_statements(name):
            await client.execute_raw(statement)
        database = Database(name, url, module, client, log)
        database.cleanup.append(lambda: client.execute_raw(f'DROP SCHEMA "{run}" CASCADE'))
        return database

    server = SERVER_URLS[name]
    admin = await _connect(module, server, tmp / "mysql-admin.jsonl")
    await admin.execute_raw(f"DROP DATABASE IF EXISTS `{run}`")
    await admin.execute_raw(f"CREATE DATABASE `{run}` CHARACTER SET utf8mb4")
    url = with_path(server, run)
    client = await _connect(module, url, log.path)
    for statement in ddl_statements(name):
        await client.execute_raw(statement)
    database = Database(name, url, module, client, log)
    database.cleanup.append(lambda: admin.execute_raw(f"DROP DATABASE `{run}`"))
    database.cleanup.append(admin.disconnect)
    return database


@pytest.fixture(scope="session", params=selected_databases())
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A connected client on a fresh database (once per run and database)."""
    name: str = request.param
    database = await _prepare(name, tmp_path_factory.mktemp(name))
    try:
        yield database
    finally:
        for step in database.cleanup:
            await step()
        await database.client.disconnect()


@pytest.fixture
async def prisma(database: Database) -> Any:
    """The database's connected client, on empty tables."""
    client = database.client
    await client.note.delete_many()
    await client.author.delete_many()
    await client.session.delete_many()
    return client


# -- per-database totals -------------------------------------------------------------

_outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    callspec = getattr(item, "callspec", None)
    database = callspec.params.get("database") if callspec else None
    outcome = None
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = "error" if report.when == "setup" and report.failed else report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
    if outcome is not None:
        _outcomes[database or "no database"][outcome] += 1
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _outcomes:
        return
    terminalreporter.section("totals per database")
    for name in (*ALL_DATABASES, "no database"):
        counts = _outcomes.get(name)
        if counts:
            details = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
            terminalreporter.write_line(f"{name:>12}: {sum(counts.values())} tests: {details}")

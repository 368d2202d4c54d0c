"""The benchmark's databases: a fresh SQLite file, a PostgreSQL schema and a
MariaDB database, each with the Session table, and the generated clients
(.generated/prisma_test_<provider>) that talk to them."""

from __future__ import annotations

import importlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".cache" / "bench"
QUERY_LOG_VARIABLE = "PRISMA_SESSION_STORE_ENGINE_QUERY_LOG"
PROVIDERS = ("sqlite", "postgresql", "mysql")
SERVER_URLS = {
    "postgresql": os.environ.get(
        "PSS_BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("PSS_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}
SCHEMA = "pss_bench"


def ddl_statements(provider: str) -> list[str]:
    """The statements of scripts/sql/session.<provider>.sql (the Session table only)."""
    text = (ROOT / "scripts" / "sql" / f"session.{provider}.sql").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


@contextmanager
def query_log_env(path: Path | None) -> Iterator[None]:
    """The engine reads its query log file from the environment when it starts."""
    if path is None:
        yield
        return
    os.environ[QUERY_LOG_VARIABLE] = str(path)
    try:
        yield
    finally:
        del os.environ[QUERY_LOG_VARIABLE]


@dataclass(frozen=True)
class BenchDatabase:
    """One database of the run."""

    name: str
    url: str

    @property
    def module(self) -> Any:
        return importlib.import_module(f"prisma_test_{self.name}")

    def client(self) -> Any:
        """A new, unconnected client (its own engine process once connected)."""
        return self.module.Prisma(datasource={"url": self.url})

    async def connect(self, query_log: Path | None = None) -> Any:
        client = self.client()
        with query_log_env(query_log):
            await client.connect()
        return client


def _fresh_sqlite(path: Path) -> Path:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        for statement in ddl_statements("sqlite"):
            db.execute(statement)
    return path


async def prepare(name: str) -> BenchDatabase:
    """Create (or recreate) the benchmark's Session table on ``name``."""
    WORK.mkdir(parents=True, exist_ok=True)
    if name == "sqlite":
        return BenchDatabase(name, f"file:{_fresh_sqlite(WORK / 'sessions.db')}")
    server = SERVER_URLS[name]
    if name == "postgresql":
        separator = "&" if urlsplit(server).query else "?"
        database = BenchDatabase(name, f"{server}{separator}schema={SCHEMA}")
        admin = await database.connect()
        try:
            await admin.execute_raw(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
            await admin.execute_raw(f'CREATE SCHEMA "{SCHEMA}"')
            for statement in ddl_statements(name):
                await admin.execute_raw(statement)
        finally:
            await admin.disconnect()
        return database
    parts = urlsplit(server)
    database = BenchDatabase(
        name, urlunsplit((parts.scheme, parts.netloc, f"/{SCHEMA}", parts.query, ""))
    )
    admin = await BenchDatabase(name, server).connect()
    try:
        await admin.execute_raw(f"DROP DATABASE IF EXISTS `{SCHEMA}`")
        await admin.execute_raw(f"CREATE DATABASE `{SCHEMA}` CHARACTER SET utf8mb4")
    finally:
        await admin.disconnect()
    client = await database.connect()
    try:
        for statement in ddl_statements(name):
            await client.execute_raw(statement)
    finally:
        await client.disconnect()
    return database


async def empty(client: Any) -> None:
    await client.session.delete_many()

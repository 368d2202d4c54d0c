"""prune() at scale: 100,000 expired rows and 10,000 live ones, inserted with
one raw INSERT ... SELECT each; prune's time and statements."""

from __future__ import annotations

import time
from dataclasses import dataclass

from prisma_session_store import PrismaSessionStore

from .databases import WORK, BenchDatabase
from .queries import QueryLog

PAST = "2000-01-01 00:00:00"
FUTURE = "2999-01-01 00:00:00"


def _insert_sql(provider: str, prefix: str, count: int, expires: str) -> str:
    if provider == "sqlite":
        # The offline engine (libsql adapter) stores DateTime as ISO-8601 text.
        iso = expires.replace(" ", "T") + ".000+00:00"
        return (
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "
            'INSERT INTO "Session" ("id", "sid", "data", "expiresAt") '
            f"SELECT '{prefix}' || i, '{prefix}' || i, '{{}}', '{iso}' FROM n"
        )
    if provider == "postgresql":
        return (
            'INSERT INTO "Session" ("id", "sid", "data", "expiresAt") '
            f"SELECT '{prefix}' || i, '{prefix}' || i, '{{}}', TIMESTAMP '{expires}' "
            f"FROM generate_series(1, {count}) AS i"
        )
    # MariaDB's sequence engine
    return (
        "INSERT INTO `Session` (`id`, `sid`, `data`, `expiresAt`) "
        f"SELECT CONCAT('{prefix}', seq), CONCAT('{prefix}', seq), '{{}}', '{expires}' "
        f"FROM seq_1_to_{count}"
    )


@dataclass(frozen=True)
class PruneResult:
    database: str
    expired: int
    live: int
    insert_seconds: float
    prune_seconds: float
    removed: int
    remaining: int
    statements: list[str]


async def prune_at_scale(
    database: BenchDatabase, *, expired: int = 100_000, live: int = 10_000
) -> PruneResult:
    log = QueryLog(WORK / f"prune-{database.name}.jsonl")
    client = await database.connect(query_log=log.path)
    try:
        await client.session.delete_many()
        start = time.perf_counter()
        await client.execute_raw(_insert_sql(database.name, "expired-", expired, PAST))
        await client.execute_raw(_insert_sql(database.name, "live-", live, FUTURE))
        if database.name == "postgresql":
            await client.execute_raw('ANALYZE "Session"')
        insert_seconds = time.perf_counter() - start
        store = PrismaSessionStore(client)
        before = len(log.lines())
        start = time.perf_counter()
        removed = await store.prune()
        prune_seconds = time.perf_counter() - start
        statements = log.lines()[before:]
        remaining = await client.session.count()
        return PruneResult(
            database.name,
            expired,
            live,
            insert_seconds,
            prune_seconds,
            removed,
            remaining,
            [" ".join(sql.split()) for sql in statements],
        )
    finally:
        await client.session.delete_many()
        await client.disconnect()

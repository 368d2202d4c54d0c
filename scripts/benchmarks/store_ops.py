"""Store operations against the bare Prisma calls they wrap, on one client,
in alternated rounds; and the hot read through the model API against a raw
query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from prisma_session_store import PrismaSessionStore

from .databases import BenchDatabase
from .stats import median, rate, ratios

COOKIE = {
    "originalMaxAge": 1_209_600_000,
    "expires": "2031-01-01T00:00:00.000Z",
    "httpOnly": True,
    "path": "/",
    "sameSite": "lax",
}
SESSION: dict[str, Any] = {"cookie": COOKIE, "counter": 1, "user": "someone@example.com"}
SESSION_TEXT = (
    '{"cookie":{"originalMaxAge":1209600000,"expires":"2031-01-01T00:00:00.000Z",'
    '"httpOnly":true,"path":"/","sameSite":"lax"},"counter":1,"user":"someone@example.com"}'
)
HOT_READ_SQL = {
    "sqlite": 'SELECT "data", "expiresAt" FROM "Session" WHERE "sid" = ?',
    "postgresql": 'SELECT "data", "expiresAt" FROM "Session" WHERE "sid" = $1',
    "mysql": "SELECT `data`, `expiresAt` FROM `Session` WHERE `sid` = ?",
}
POOL = 50
Call = Callable[[int], Awaitable[object]]  # sids the get/set/touch calls cycle over


@dataclass
class Comparison:
    """Rates (calls/s) per round of two ways to do one thing."""

    name: str
    ours_label: str
    theirs_label: str
    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def ratios(self) -> list[float]:
        return ratios(self.ours, self.theirs)

    @property
    def ratio(self) -> float:
        return median(self.ratios)


def _expires() -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=14)


async def _seed(client: Any, prefix: str, count: int) -> list[str]:
    sids = [f"{prefix}-{i}" for i in range(count)]
    expires_at = _expires()
    await client.session.create_many(
        data=[
            {"id": f"id-{sid}", "sid": sid, "data": SESSION_TEXT, "expiresAt": expires_at}
            for sid in sids
        ]
    )
    return sids


async def store_operations(database: BenchDatabase, *, rounds: int, calls: int) -> list[Comparison]:
    """get/set/touch/destroy through the store against find_unique/upsert/
    update_many/delete_many on the same connected client."""
    client = await database.connect()
    try:
        await client.session.delete_many()
        store = PrismaSessionStore(client)
        delegate = client.session
        store_sids = await _seed(client, "store", POOL)
        bare_sids = await _seed(client, "bare", POOL)

        def pick(sids: list[str]) -> Callable[[int], str]:
            return lambda i: sids[i % len(sids)]

        s, b = pick(store_sids), pick(bare_sids)
        expires_at = _expires()

        async def bare_set(i: int) -> object:
            sid = b(i)
            create = {"id": f"id-{sid}", "sid": sid, "data": SESSION_TEXT, "expiresAt": expires_at}
            update = {"data": SESSION_TEXT, "expiresAt": expires_at}
            return await delegate.upsert(
                where={"sid": sid}, data={"create": create, "update": update}
            )

        async def bare_touch(i: int) -> object:
            return await delegate.update_many(
                where={"sid": b(i), "expiresAt": {"gt": datetime.now(timezone.utc)}},
                data={"expiresAt": expires_at},
            )

        pairs: list[tuple[Comparison, Call, Call]] = [
            (
                Comparison("get", "store.get", "find_unique"),
                lambda i: store.get(s(i)),
                lambda i: delegate.find_unique(where={"sid": b(i)}),
            ),
            (
                Comparison("set", "store.set", "upsert"),
                lambda i: store.set(s(i), SESSION),
                bare_set,
            ),
            (
                Comparison("touch", "store.touch", "update_many"),
                lambda i: store.touch(s(i), SESSION),
                bare_touch,
            ),
        ]
        destroy = Comparison("destroy", "store.destroy", "delete_many")
        for round_number in range(rounds):
            for comparison, ours, theirs in pairs:
                await _alternate(comparison, ours, theirs, calls, round_number)
            # destroy removes existing rows: seed fresh ones (untimed) each round
            doomed_store = await _seed(client, f"ds{round_number}", calls)
            doomed_bare = await _seed(client, f"db{round_number}", calls)
            await _alternate(
                destroy,
                _destroy_call(store.destroy, doomed_store),
                _destroy_call(lambda sid: delegate.delete_many(where={"sid": sid}), doomed_bare),
                calls,
                round_number,
            )
        return [comparison for comparison, _, _ in pairs] + [destroy]
    finally:
        await client.disconnect()


def _destroy_call(destroy: Callable[[str], Awaitable[object]], sids: list[str]) -> Call:
    return lambda i: destroy(sids[i])


async def _alternate(
    comparison: Comparison,
    ours: Callable[[int], Awaitable[object]],
    theirs: Callable[[int], Awaitable[object]],
    calls: int,
    round_number: int,
) -> None:
    if round_number == 0:  # warm both paths up (engine, caches) before the first timing
        await rate(ours, max(5, calls // 5))
        await rate(theirs, max(5, calls // 5))
    if round_number % 2 == 0:
        comparison.ours.append(await rate(ours, calls))
        comparison.theirs.append(await rate(theirs, calls))
    else:
        comparison.theirs.append(await rate(theirs, calls))
        comparison.ours.append(await rate(ours, calls))


async def hot_read(database: BenchDatabase, *, rounds: int, calls: int) -> Comparison:
    """The session read by the model API (find_unique, parsed into the model)
    against a raw query_first (a dict with the DateTime as the database's text)."""
    client = await database.connect()
    try:
        await client.session.delete_many()
        sids = await _seed(client, "hot", POOL)
        sql = HOT_READ_SQL[database.name]
        comparison = Comparison("hot read", "query_first (raw)", "find_unique")
        for round_number in range(rounds):
            await _alternate(
                comparison,
                lambda i: client.query_first(sql, sids[i % POOL]),
                lambda i: client.session.find_unique(where={"sid": sids[i % POOL]}),
                calls,
                round_number,
            )
        raw = await client.query_first(sql, sids[0])
        comparison.note = f"raw expiresAt comes back as {raw['expiresAt']!r}"
        return comparison
    finally:
        await client.disconnect()

"""Queries per request, counted in the offline engine's query log (one line
per SQL statement), for our middleware and the baseline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from .app import build
from .databases import WORK, BenchDatabase


@dataclass(frozen=True)
class QueryCount:
    variant: str
    case: str
    target: int | None
    statements: list[str]

    @property
    def queries(self) -> list[str]:
        """The statements that read or write. Transaction control is left out:
        Prisma wraps each update_many in BEGIN/COMMIT, which the SQLite
        adapter logs as comments (``-- Implicit BEGIN``)."""
        return [sql for sql in self.statements if not sql.lstrip().startswith(_CONTROL)]

    @property
    def count(self) -> int:
        return len(self.queries)


_CONTROL = ("--", "BEGIN", "COMMIT", "ROLLBACK")


class QueryLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.unlink(missing_ok=True)

    def lines(self) -> list[str]:
        if not self.path.exists():
            return []
        return [json.loads(line)["query"] for line in self.path.read_text().splitlines()]


def _short(sql: str) -> str:
    words = " ".join(sql.split())
    return words if len(words) <= 70 else words[:67] + "..."


async def queries_per_request(database: BenchDatabase) -> list[QueryCount]:
    log = QueryLog(WORK / f"queries-{database.name}.jsonl")
    client = await database.connect(query_log=log.path)
    results: list[QueryCount] = []
    try:
        await client.session.delete_many()
        for variant in ("ours", "baseline"):
            app = build(variant, client)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

                async def measure(
                    case: str,
                    path: str,
                    cookie: str | None,
                    target: int | None,
                    *,
                    http: httpx.AsyncClient = http,
                    variant: str = variant,
                ) -> httpx.Response:
                    http.cookies.clear()
                    before = len(log.lines())
                    headers = {"cookie": cookie} if cookie else {}
                    response = await http.get(path, headers=headers)
                    response.raise_for_status()
                    statements = [_short(sql) for sql in log.lines()[before:]]
                    results.append(QueryCount(variant, case, target, statements))
                    return response

                await measure("no cookie, route without session", "/plain", None, 0)
                await measure("no cookie, /read", "/read", None, 0)
                created = await measure("no cookie, /incr (new session)", "/incr", None, 1)
                cookie = created.headers["set-cookie"].split(";", 1)[0]
                await measure("/read", "/read", cookie, 1)
                await measure("/incr", "/incr", cookie, 2)
                await measure("/read, unchanged within the touch throttle", "/read", cookie, 1)
                if variant == "ours":
                    name = cookie.split("=", 1)[0]
                    forged = f"{name}={'A' * 43}.forged-signature"
                    await measure("bad signature", "/read", forged, 0)
                    # An expiry a day away: the refresh is due (default: a tenth of 14 days).
                    await client.session.update_many(
                        data={"expiresAt": datetime.now(timezone.utc) + timedelta(days=1)},
                        where={},
                    )
                    await measure("/read, expiry refresh due (touch)", "/read", cookie, 2)
    finally:
        await client.disconnect()
    return results


def summary(results: list[QueryCount]) -> dict[str, Any]:
    return {f"{r.variant}: {r.case}": r.count for r in results}

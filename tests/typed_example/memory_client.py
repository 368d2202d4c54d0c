"""A Prisma-like client kept in memory, as a user writes one for their own tests.

It satisfies prisma_session_store's ``PrismaClient`` Protocol and has a
``session`` delegate with the queries the store issues, without subclassing
anything and without casts. (This project's own tests use the real Prisma
client on real databases.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SessionRow:
    id: str
    sid: str
    data: str
    expiresAt: datetime  # noqa: N815 - the column name of the Session model


def _matches(row: SessionRow, where: Mapping[str, Any] | None) -> bool:
    for field, condition in (where or {}).items():
        value = getattr(row, field)
        if not isinstance(condition, Mapping):
            if value != condition:
                return False
            continue
        for operator, operand in condition.items():
            if operator == "in":
                matched = value in operand
            elif operator == "gt":
                matched = value > operand
            elif operator == "lte":
                matched = value <= operand
            elif operator == "lt":
                matched = value < operand
            else:
                raise NotImplementedError(f"{field}: {operator}")
            if not matched:
                return False
    return True


class SessionTable:
    """The ``session`` delegate: the six queries PrismaSessionStore issues."""

    def __init__(self) -> None:
        self.rows: dict[str, SessionRow] = {}

    async def find_unique(self, where: Mapping[str, Any]) -> SessionRow | None:
        return next((row for row in self.rows.values() if _matches(row, where)), None)

    async def find_many(self, *, where: Mapping[str, Any] | None = None) -> list[SessionRow]:
        return [row for row in self.rows.values() if _matches(row, where)]

    async def count(self, *, where: Mapping[str, Any] | None = None) -> int:
        return len(await self.find_many(where=where))

    async def upsert(
        self, where: Mapping[str, Any], data: Mapping[str, Mapping[str, Any]]
    ) -> SessionRow:
        existing = await self.find_unique(where)
        row = (
            SessionRow(**data["create"])
            if existing is None
            else replace(existing, **data["update"])
        )
        self.rows[row.sid] = row
        return row

    async def update_many(self, data: Mapping[str, Any], where: Mapping[str, Any]) -> int:
        changed = [replace(row, **data) for row in await self.find_many(where=where)]
        self.rows.update((row.sid, row) for row in changed)
        return len(changed)

    async def delete_many(self, where: Mapping[str, Any] | None = None) -> int:
        doomed = [row.sid for row in await self.find_many(where=where)]
        for sid in doomed:
            del self.rows[sid]
        return len(doomed)


class MemoryClient:
    """Connects to nothing; ``session`` holds the rows."""

    def __init__(self) -> None:
        self.session = SessionTable()
        self._connected = False

    def is_connected(self) -> bool:
        return self._connected

    async def connect(self) -> None:
        self._connected = True

    async def disconnect(self) -> None:
        self._connected = False

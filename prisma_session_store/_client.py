"""Structural types for the part of Prisma Client Python the store uses.

Any client generated with ``interface = "asyncio"`` from a schema with the
Session model satisfies them; so does any object of the same shape (a test
double, a wrapper that counts queries).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "COLUMN_MISSING",
    "TABLE_MISSING",
    "UNIQUE_VIOLATION",
    "PrismaClient",
    "SessionDelegate",
    "SessionRecord",
    "prisma_error_code",
]


class SessionRecord(Protocol):
    """One row of the Session model."""

    @property
    def id(self) -> str: ...

    @property
    def sid(self) -> str: ...

    @property
    def data(self) -> str: ...

    @property
    def expiresAt(self) -> datetime: ...  # noqa: N802 - the column name is the Node package's


class SessionDelegate(Protocol):
    """The model delegate (``prisma.session``): the queries the store issues."""

    async def find_unique(self, where: Any) -> SessionRecord | None: ...

    async def find_many(self, *, where: Any = None) -> Sequence[SessionRecord]: ...

    async def count(self, *, where: Any = None) -> int: ...

    async def upsert(self, where: Any, data: Any) -> SessionRecord: ...

    async def update_many(self, data: Any, where: Any) -> int: ...

    async def delete_many(self, where: Any = None) -> int: ...


class PrismaClient(Protocol):
    """The generated ``Prisma`` client, as far as connecting goes."""

    def is_connected(self) -> bool: ...

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...


# Prisma's error codes, read from the exception rather than by class: every
# generated client package has its own copy of ``prisma.errors``.
UNIQUE_VIOLATION = "P2002"
WRITE_CONFLICT = "P2034"  # a write conflict or deadlock: the transaction was rolled back
TABLE_MISSING = "P2021"
COLUMN_MISSING = "P2022"


def prisma_error_code(error: BaseException) -> str | None:
    """The ``Pxxxx`` code of a Prisma data error, else None."""
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else None

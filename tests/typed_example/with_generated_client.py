"""The generated Prisma client meets prisma_session_store's Protocols without casts.

Checked by tests/test_packaging.py with the project's own mypy, where
``prisma`` is the client that scripts/setup generates from schema.prisma.
"""

from __future__ import annotations

from app import create_app, make_store
from prisma import Prisma

from prisma_session_store import PrismaClient, PrismaSessionStore, SessionDelegate, SessionRecord

client = Prisma()
as_client: PrismaClient = client
as_delegate: SessionDelegate = client.session
store: PrismaSessionStore = PrismaSessionStore(client, check_period=3600)
also_store = make_store(client)
app = create_app(Prisma(), secret_keys=["newest", "older"])


async def first_row() -> SessionRecord | None:
    return await client.session.find_first()

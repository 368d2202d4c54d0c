"""A FastAPI app with server-side sessions in the Session table.

Run it from the repository root (after ``scripts/setup``)::

    uvicorn examples.fastapi_app:app

Routes: ``POST /login`` (JSON ``{"name": ...}``), ``GET /counter`` and
``POST /counter`` (read / increment), ``GET /me``, ``POST /logout``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from prisma import Prisma
from pydantic import BaseModel, Field

from prisma_session_store import (
    PrismaSessionStore,
    SessionMiddleware,
    destroy_session,
    regenerate_session,
)

# Signs the session cookie. The default is for local development only: set
# SESSION_SECRET to a long random value in production, e.g. the output of
#   python -c "import secrets; print(secrets.token_urlsafe(32))"
SECRET_KEY = os.environ.get("SESSION_SECRET", "dev-only-secret-do-not-use-in-production")

# The client generated from schema.prisma; DATABASE_URL (from the environment
# or .env) picks the database when the lifespan connects it. No I/O here.
store = PrismaSessionStore(Prisma(), check_period=60 * 60)  # prune expired sessions hourly


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with store:  # connects Prisma; on exit stops the pruning and disconnects
        yield


app = FastAPI(title="prisma-session-store example", lifespan=lifespan)
app.add_middleware(
    SessionMiddleware,
    store=store,
    secret_key=SECRET_KEY,
    https_only=False,  # True in production (Secure cookie)
)


class Login(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class User(BaseModel):
    user: str | None


class Count(BaseModel):
    count: int


@app.post("/login")
async def login(request: Request, body: Login) -> User:
    await regenerate_session(request)  # a new session id at login: no session fixation
    request.session["user"] = body.name
    return User(user=body.name)


@app.get("/counter")
async def read_counter(request: Request) -> Count:
    return Count(count=request.session.get("count", 0))


@app.post("/counter")
async def increment_counter(request: Request) -> Count:
    request.session["count"] = request.session.get("count", 0) + 1
    return Count(count=request.session["count"])


@app.get("/me")
async def me(request: Request) -> User:
    return User(user=request.session.get("user"))


@app.post("/logout")
async def logout(request: Request) -> User:
    await destroy_session(request)  # the row is deleted now, the cookie expires
    return User(user=None)

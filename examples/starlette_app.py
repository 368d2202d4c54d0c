"""A Starlette app with server-side sessions in the Session table.

Run it for a browser with ``scripts/demo --serve``, or by hand from the
repository root (after ``scripts/setup``)::

    uvicorn examples.starlette_app:app

Routes: ``GET /`` a small page with forms, ``POST /login`` (form field
``name``), ``GET /counter`` and ``POST /counter`` (read / increment),
``GET /me``, ``POST /logout``. API clients get JSON; a browser's form post
is sent back to the page.
"""

from __future__ import annotations

import html
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

from prisma import Prisma
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

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
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with store:  # connects Prisma; on exit stops the pruning and disconnects
        yield


def reply(request: Request, payload: dict[str, Any]) -> Response:
    """JSON for API clients; a browser's form post goes back to the page."""
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse("/", status_code=303)
    return JSONResponse(payload)


async def form_field(request: Request, name: str) -> str:
    """One field of a url-encoded form body (``request.form()`` would need python-multipart)."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return fields.get(name, [""])[0].strip()


async def login(request: Request) -> Response:
    name = await form_field(request, "name")
    if not name:
        return JSONResponse({"error": "a name is required"}, status_code=400)
    await regenerate_session(request)  # a new session id at login: no session fixation
    request.session["user"] = name
    return reply(request, {"user": name})


async def counter(request: Request) -> Response:
    if request.method == "POST":
        request.session["count"] = request.session.get("count", 0) + 1
    return reply(request, {"count": request.session.get("count", 0)})


async def me(request: Request) -> Response:
    return JSONResponse({"user": request.session.get("user")})


async def logout(request: Request) -> Response:
    await destroy_session(request)  # the row is deleted now, the cookie expires
    return reply(request, {"user": None})


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>prisma-session-store</title></head>
<body>
<h1>prisma-session-store</h1>
<p>{greeting}</p>
{account}
<p>Counter: {count}</p>
<form method="post" action="/counter"><button>Count</button></form>
<p>The cookie holds only the signed session id; the session is a row of the
Session table. <a href="/me">/me</a> shows it as JSON.</p>
</body>
</html>
"""

LOGIN_FORM = """<form method="post" action="/login">
<label>Name <input name="name" required></label> <button>Log in</button>
</form>"""

LOGOUT_FORM = """<form method="post" action="/logout"><button>Log out</button></form>"""


async def homepage(request: Request) -> Response:
    # The forms post without a CSRF token: the cookie's SameSite=Lax keeps
    # other sites' forms from posting with it. A real app adds tokens.
    user = request.session.get("user")
    page = PAGE.format(
        greeting=f"Logged in as <b>{html.escape(user)}</b>." if user else "Not logged in.",
        account=LOGOUT_FORM if user else LOGIN_FORM,
        count=int(request.session.get("count", 0)),
    )
    return HTMLResponse(page)


app = Starlette(
    routes=[
        Route("/", homepage),
        Route("/login", login, methods=["POST"]),
        Route("/counter", counter, methods=["GET", "POST"]),
        Route("/me", me),
        Route("/logout", logout, methods=["POST"]),
    ],
    middleware=[
        Middleware(
            SessionMiddleware,
            store=store,
            secret_key=SECRET_KEY,
            https_only=False,  # True in production (Secure cookie); the demo runs on plain http
        )
    ],
    lifespan=lifespan,
)

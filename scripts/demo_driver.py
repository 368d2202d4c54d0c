"""Drive the running Starlette example the way a browser would, and show what
each step does to the cookie and to the Session table.

    python scripts/demo_driver.py BASE_URL DATABASE_URL

scripts/demo starts the server and runs this. Every step checks what it
expects; the exit status is 0 only if all of them behaved, 1 otherwise.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
COOKIE = "session"  # the middleware's default cookie name


class StepFailedError(Exception):
    """A step did not behave as expected."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailedError(message)


def sid_of(cookie_value: str) -> str:
    """The session id in a cookie value: ``<sid>.<signature>``."""
    return cookie_value.rpartition(".")[0]


@dataclass(frozen=True)
class Row:
    sid: str
    data: dict[str, Any]
    expires_at: str

    def describe(self) -> str:
        # express-session's cookie object is stored with the data; elided here.
        rest = {key: value for key, value in self.data.items() if key != "cookie"}
        shown = json.dumps(rest, separators=(",", ":"))
        if "cookie" in self.data:
            shown = '{"cookie":{...}' + ("," + shown[1:] if rest else "}")
        return f"sid {self.sid[:6]}...  data {shown}  expiresAt {self.expires_at}"


class Table:
    """The Session table, read directly with sqlite3 (not through the app)."""

    def __init__(self, database_url: str) -> None:
        path = Path(database_url.removeprefix("file:").split("?")[0])
        # Prisma reads a relative SQLite path relative to schema.prisma.
        self.path = path if path.is_absolute() else ROOT / path

    def _query(self, sql: str, *args: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.path, timeout=10) as db:
            return db.execute(sql, args).fetchall()

    def row(self, sid: str) -> Row | None:
        rows = self._query('SELECT sid, data, expiresAt FROM "Session" WHERE sid = ?', sid)
        if not rows:
            return None
        sid, data, expires_at = rows[0]
        return Row(sid, json.loads(data), str(expires_at))

    def count(self) -> int:
        return int(self._query('SELECT COUNT(*) FROM "Session"')[0][0])


@dataclass(frozen=True)
class Result:
    status: int
    body: Any
    set_cookie: str | None

    @property
    def cookie_value(self) -> str | None:
        """The value the Set-Cookie stores; None if there is none or it deletes the cookie."""
        if self.set_cookie is None or "Max-Age=0" in self.set_cookie:
            return None
        return self.set_cookie.split(";")[0].partition("=")[2]

    @property
    def clears_cookie(self) -> bool:
        return self.set_cookie is not None and "Max-Age=0" in self.set_cookie


def abbreviate_set_cookie(header: str | None) -> str:
    if header is None:
        return "(none)"
    first, *attributes = (part.strip() for part in header.split(";"))
    name, _, value = first.partition("=")
    shown = f"{name}={value[:6]}...({len(value)} chars)" if value else f"{name}="
    kept = [part for part in attributes if not part.startswith("Expires=")]
    return "; ".join([shown, *kept])


class Demo:
    def __init__(self, base_url: str, database_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.table = Table(database_url)
        self.steps = 0

    def request(
        self,
        title: str,
        method: str,
        path: str,
        *,
        cookie: str | None,
        form: dict[str, str] | None = None,
    ) -> Result:
        """One request with exactly the cookie given (no cookie jar)."""
        self.steps += 1
        print(f"\n[{self.steps}] {title}: {method} {path}" + ("" if cookie else " (no cookie)"))
        self.http.cookies.clear()
        headers = {"cookie": f"{COOKIE}={cookie}"} if cookie else {}
        started = time.perf_counter()
        response = self.http.request(method, path, headers=headers, data=form)
        elapsed = (time.perf_counter() - started) * 1000
        result = Result(response.status_code, response.json(), response.headers.get("set-cookie"))
        print(f"    status      {result.status} {json.dumps(result.body)}  ({elapsed:.0f} ms)")
        print(f"    Set-Cookie  {abbreviate_set_cookie(result.set_cookie)}")
        return result

    def show_row(self, sid: str) -> Row | None:
        row = self.table.row(sid)
        print(f"    row         {row.describe() if row else f'none for sid {sid[:6]}...'}")
        return row

    def show_count(self) -> int:
        count = self.table.count()
        print(f"    table       {count} row{'' if count == 1 else 's'}")
        return count

    def run(self) -> None:
        rows_before = self.table.count()

        first = self.request("first visit", "GET", "/me", cookie=None)
        check(first.status == 200 and first.body == {"user": None}, "not logged out at first")
        check(first.set_cookie is None, "a visit that stores nothing must not set a cookie")
        check(self.show_count() == rows_before, "a visit that stores nothing must not write a row")

        login = self.request(
            "log in as alice", "POST", "/login", cookie=None, form={"name": "alice"}
        )
        check(login.status == 200 and login.body == {"user": "alice"}, "login failed")
        cookie = login.cookie_value
        if cookie is None:
            raise StepFailedError("login must set the session cookie")
        check("HttpOnly" in (login.set_cookie or ""), "the session cookie must be HttpOnly")
        sid = sid_of(cookie)
        row = self.show_row(sid)
        check(row is not None and row.data.get("user") == "alice", "no row with the user")

        for expected in (1, 2, 3):
            counted = self.request("count", "POST", "/counter", cookie=cookie)
            check(counted.body == {"count": expected}, f"the counter should be {expected}")
            check(counted.cookie_value == cookie, "the session id must not change")
            row = self.show_row(sid)
            check(row is not None and row.data.get("count") == expected, "the row was not updated")

        read = self.request("read the counter", "GET", "/counter", cookie=cookie)
        check(read.body == {"count": 3}, "the counter should still be 3")
        check(read.set_cookie is None, "an unchanged session must not be re-sent")
        unchanged = self.show_row(sid)
        check(unchanged == row, "an unchanged session must not be written")

        tampered = _tamper(cookie)
        forged = self.request(
            "tampered cookie (another id, same signature)", "GET", "/me", cookie=tampered
        )
        check(forged.body == {"user": None}, "a tampered cookie must not log anyone in")
        check(forged.clears_cookie, "a tampered cookie must be cleared")
        check(self.table.row(sid_of(tampered)) is None, "a client-chosen id must not be stored")
        check(self.show_row(sid) == row, "alice's session must be untouched")

        me = self.request("alice's own cookie still works", "GET", "/me", cookie=cookie)
        check(me.body == {"user": "alice"}, "alice should still be logged in")

        logout = self.request("log out", "POST", "/logout", cookie=cookie)
        check(logout.body == {"user": None}, "logout failed")
        check(logout.clears_cookie, "logout must expire the cookie")
        check(self.show_row(sid) is None, "logout must delete the row")

        replay = self.request("replay the logged-out cookie", "GET", "/me", cookie=cookie)
        check(replay.body == {"user": None}, "a logged-out cookie must not log in again")
        check(replay.clears_cookie, "a cookie naming no session must be cleared")
        check(self.show_count() == rows_before, "the demo must leave no row behind")


def _tamper(cookie: str) -> str:
    """The same cookie with the session id's last character changed."""
    sid, _, signature = cookie.rpartition(".")
    return f"{sid[:-1]}{'B' if sid.endswith('A') else 'A'}.{signature}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    demo = Demo(*argv)
    try:
        demo.run()
    except StepFailedError as failure:
        print(f"\nFAILED at step {demo.steps}: {failure}", file=sys.stderr)
        return 1
    finally:
        demo.http.close()
    print(f"\nAll {demo.steps} steps behaved as expected.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

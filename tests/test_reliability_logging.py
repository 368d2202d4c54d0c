"""What the store and the middleware log when things fail: the operation and
the session id's first characters, never the whole id, the secret key or the
session data."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest

from prisma_session_store._signing import ItsdangerousSigner
from tests.reliability_harness import SECRET, asgi_client, session_app, set_cookie_value, sid_of
from tests.store_harness import MakeStore

DATA_MARKER = "TOP-SECRET-SESSION-DATA"
OPERATIONS = re.compile(
    r"^(get|set|touch|destroy|clear|prune|prune \(interval\)|all|dispose|"
    r"saving session|saving session .* after the response) "
)
REDACTED = re.compile(r"[A-Za-z0-9_-]{6}\.\.\.")


def _text(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


async def test_logged_errors_name_the_operation_and_only_a_sid_prefix(
    make_store: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="prisma_session_store")

    def failing_dispose(sid: str, session: dict[str, Any]) -> None:
        raise RuntimeError("the dispose callback failed")

    # The store logs through the library's logger, every level enabled.
    h = make_store(logger=None, dispose=failing_dispose, check_period=0.01)
    app = session_app(h.store)
    signer = ItsdangerousSigner(SECRET)
    sids: set[str] = set()

    async with asgi_client(app) as client:
        # A session with data in it.
        response = await client.post("/put", json={"secret": DATA_MARKER})
        cookie = set_cookie_value(response)
        assert cookie
        sids.add(sid_of(cookie))

        # 1. Unencodable data: the save fails (500), logged by the middleware.
        response = await client.post("/unencodable", headers={"cookie": f"session={cookie}"})
        assert response.status_code == 500

        # 2. A row whose data is not JSON: logged by the store's get.
        corrupt = "corrupt-row-id-with-a-long-tail-0123456789"
        sids.add(corrupt)
        await h.insert(corrupt, {}, expires_in=3600)
        await h.prisma.session.update(
            where={"sid": corrupt}, data={"data": f'{{"secret": "{DATA_MARKER}"'}
        )
        response = await client.get("/read", headers={"cookie": f"session={signer.sign(corrupt)}"})
        assert response.status_code == 200

        # 3. A real database error on save: a record id that already exists.
        await h.insert("holder-of-the-record-id-000000", {}, expires_in=3600)
        h.store._record_id = lambda _sid: "id-holder-of-the-record-id-000000"
        response = await client.post("/incr", headers={"cookie": ""})
        assert response.status_code == 500
        h.store._record_id = lambda sid: f"record-{sid}"

        # 4. A save that fails after the response has started (streaming).
        h.client.delegate.fail_next["update_many"] = RuntimeError("connection reset by peer")
        session = {"cookie": f"session={cookie}"}
        response = await client.get("/stream", params={"value": DATA_MARKER}, headers=session)
        assert response.status_code == 200

        # 5. The dispose callback raises when the session ends.
        response = await client.post("/logout", headers=session)
        assert response.status_code == 200

    # 6. The automatic prune fails.
    # (With dispose, a prune reads the expired rows first.) The interval
    # started with the store's first use.
    h.client.delegate.fail_next["find_many"] = RuntimeError("database unavailable")
    for _ in range(500):
        if any("prune (interval)" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    await h.store.stop_interval()

    sids.update(row.sid for row in await h.prisma.session.find_many())
    records = [r for r in caplog.records if r.name.startswith("prisma_session_store")]
    errors = [r for r in records if r.levelno >= logging.ERROR]
    messages = [r.getMessage() for r in errors]
    # Every path above was logged.
    for expected in (
        "saving session",
        "stored data is unreadable",
        "after the response failed",
        "the dispose callback raised",
        "prune (interval)",
    ):
        assert any(expected in message for message in messages), (expected, messages)
    assert sum("saving session" in m and "after" not in m for m in messages) == 2

    for record in records:
        text = _text(record)
        message = record.getMessage()
        assert OPERATIONS.match(message), message
        assert SECRET not in text
        assert DATA_MARKER not in text
        for sid in sids:
            assert sid not in text, (sid, text)
        if not message.startswith(("prune", "saving session (new")):
            assert REDACTED.search(message), message

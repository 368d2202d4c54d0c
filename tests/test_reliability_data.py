"""Hostile session data: values JSON cannot encode, a 5 MB session, rows
whose data is not a JSON object, and a property test that any JSON-compatible
session round-trips unchanged."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prisma_session_store import SerializationError
from prisma_session_store._signing import ItsdangerousSigner
from tests.reliability_harness import SECRET, asgi_client, session_app, set_cookie_value, sid_of
from tests.store_harness import MakeStore

SID = "hostile-data-session-id-000000"


def _circular() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return loop


UNENCODABLE: dict[str, tuple[Any, str]] = {
    "a set": ({"tags": {1, 2}}, "Object of type set is not JSON serializable"),
    "bytes": ({"raw": b"\x00\x01"}, "Object of type bytes is not JSON serializable"),
    "an object": ({"obj": object()}, "Object of type object is not JSON serializable"),
    "NaN": ({"x": math.nan}, "Out of range float values are not JSON compliant"),
    "infinity": ({"x": -math.inf}, "Out of range float values are not JSON compliant"),
    "a tuple key": ({(1, 2): "x"}, "keys must be str, int, float, bool or None"),
    "a circular reference": (_circular(), "Circular reference detected"),
}


@pytest.mark.parametrize("case", list(UNENCODABLE))
async def test_unencodable_session_raises_a_clear_error_and_writes_nothing(
    make_store: MakeStore, case: str
) -> None:
    h = make_store()
    session, problem = UNENCODABLE[case]
    with pytest.raises(SerializationError, match=problem) as caught:
        await h.store.set(SID, session)
    assert str(caught.value).startswith("set hostil...: ")  # operation, redacted id
    assert await h.row(SID) is None
    assert h.calls == []  # refused before any query

    # An existing session keeps its stored data.
    await h.store.set(SID, {"kept": True})
    with pytest.raises(SerializationError, match=problem):
        await h.store.set(SID, session)
    assert await h.store.get(SID) == {"kept": True}


async def test_unencodable_value_in_a_request_is_a_500_and_nothing_is_written(
    make_store: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_store()
    app = session_app(h.store)
    async with asgi_client(app) as client:
        # A new session: no row, no cookie.
        response = await client.post("/unencodable")
        assert response.status_code == 500
        assert set_cookie_value(response) is None
        assert await h.prisma.session.count() == 0

        # An existing session: its row is left as it was.
        await client.post("/incr", params={"token": "first"})
        cookie = client.cookies["session"]
        response = await client.post("/unencodable")
        assert response.status_code == 500
        stored = await h.store.get(sid_of(cookie))
        assert stored is not None
        assert stored["by"] == "first"
        assert "bad" not in stored
    messages = [
        record.getMessage() + str(record.exc_info and record.exc_info[1])
        for record in caplog.records
        if record.levelno >= logging.ERROR
    ]
    assert len(messages) == 2
    for message in messages:
        assert "saving session" in message
        assert "Object of type set is not JSON serializable" in message


async def test_a_5_mb_session_round_trips(make_store: MakeStore) -> None:
    h = make_store()
    blob = "0123456789abcdef" * (5 * 1024 * 1024 // 16)
    session = {"blob": blob, "unicode": "\u00e9\u4e2d\U0001f600" * 1000, "n": 1}
    await h.store.set(SID, session)
    assert await h.store.get(SID) == session
    row = await h.row(SID)
    assert len(row.data.encode()) > 5 * 1024 * 1024
    # Through the middleware too: a 5 MB request body merged into the session.
    app = session_app(h.store)
    async with asgi_client(app) as client:
        response = await client.post("/put", json={"blob": blob})
        assert response.status_code == 200
        response = await client.get("/read")
        assert response.status_code == 200
        assert response.json()["blob"] == blob


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ("{not json", "stored data is unreadable (JSONDecodeError)"),
        ("", "stored data is unreadable (JSONDecodeError)"),
        ("[1, 2, 3]", "stored data is a list, not an object"),
        ("null", "stored data is a NoneType, not an object"),
        ('"a string"', "stored data is a str, not an object"),
    ],
)
async def test_a_row_that_is_not_a_json_object_is_no_session_logged_once(
    make_store: MakeStore, stored: str, problem: str
) -> None:
    h = make_store()
    sid = "corrupted-session-id-0123456789"
    await h.insert(sid, {}, expires_in=3600)
    await h.prisma.session.update(where={"sid": sid}, data={"data": stored})
    app = session_app(h.store)
    cookie = ItsdangerousSigner(SECRET).sign(sid)
    async with asgi_client(app) as client:
        response = await client.post("/incr", headers={"cookie": f"session={cookie}"})
    assert response.status_code == 200
    assert response.json()["n"] == 1
    new_cookie = set_cookie_value(response)
    assert new_cookie
    assert sid_of(new_cookie) != sid
    assert h.logger.messages("error") == [f"get corrup...: {problem}; treated as no session"]


# -- property: any JSON-compatible session round-trips ------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
SESSIONS = st.dictionaries(st.text(max_size=20), JSON_VALUES, max_size=8)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(session=SESSIONS)
async def test_any_json_session_round_trips_unchanged(
    make_store: MakeStore, session: dict[str, Any]
) -> None:
    h = make_store(ttl=3600)  # the ttl option: a "cookie" key is just data here
    await h.store.set(SID, session)
    loaded = await h.store.get(SID)
    # Compared as JSON text too: 1 == 1.0 == True in Python, not in JSON.
    assert loaded == session
    assert json.dumps(loaded, sort_keys=True) == json.dumps(session, sort_keys=True)
    await h.store.destroy(SID)

"""Hostile session cookies: each starts a fresh session with a new id chosen
by the server, never a 500, and no row is created for the presented id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prisma_session_store._signing import ExpressSigner, ItsdangerousSigner
from tests.reliability_harness import SECRET, asgi_client, session_app, set_cookie_value, sid_of
from tests.store_harness import Harness, MakeStore

SIGNER = ItsdangerousSigner(SECRET)
UNKNOWN_SID = "unknown-but-well-formed-id-0123456789"


def _flip_last(text: str) -> str:
    return text[:-1] + ("A" if text[-1] != "A" else "B")


def _tampered_signature(valid: str) -> str:
    # Not the last character: its low bits are base64 padding, ignored on decoding.
    sid, _, signature = valid.rpartition(".")
    return f"{sid}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def _tampered_id(valid: str) -> str:
    sid, _, signature = valid.rpartition(".")
    return f"{_flip_last(sid)}.{signature}"


# Each case turns the cookie of a live session into the raw Cookie header sent.
HOSTILE: dict[str, Callable[[str], bytes]] = {
    "tampered signature": lambda valid: f"session={_tampered_signature(valid)}".encode(),
    "tampered id": lambda valid: f"session={_tampered_id(valid)}".encode(),
    "valid signature, unknown id": lambda _: f"session={SIGNER.sign(UNKNOWN_SID)}".encode(),
    "16 KB cookie": lambda _: b"session=" + b"A" * 16384,
    "16 KB cookie with a signature": lambda valid: f"session={'A' * 16384}.{valid}".encode(),
    "non-ASCII": lambda valid: f"session=\u00fcn\u00efc\u00f8d\u00e9-{valid}\u00df".encode(),
    "latin-1 bytes": lambda valid: b"session=\xe9\xff" + valid.encode(),
    "control characters": lambda valid: b"session=\x00\x01\x1f\x7f" + valid.encode() + b"\x08",
    "several session cookies": lambda valid: (
        f"session=garbage; session={_tampered_signature(valid)}; "
        f"session={SIGNER.sign(UNKNOWN_SID)}; session="
    ).encode(),
    "empty value": lambda _: b"session=",
    "quoted empty value": lambda _: b'session=""',
    "only a separator": lambda _: b"session=.",
    "unsigned id of a live session": lambda valid: f"session={sid_of(valid)}".encode(),
}


async def _live_session(h: Harness, app: Any) -> str:
    async with asgi_client(app) as client:
        response = await client.post("/incr", params={"token": "victim"})
        response = await client.post("/incr", params={"token": "victim"})
    assert response.json()["n"] == 2
    cookie = set_cookie_value(response)
    assert cookie
    return cookie


def _presented_ids(header: bytes) -> set[str]:
    """Every string a careless middleware might have taken for an id."""
    ids = set()
    for pair in header.decode("latin-1").split(";"):
        value = pair.strip().partition("=")[2].strip('"')
        ids.update({value, sid_of(value), value.partition(".")[0]})
    return {value for value in ids if value}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_cookie_starts_a_fresh_session(make_store: MakeStore, case: str) -> None:
    h = make_store()
    app = session_app(h.store)
    valid = await _live_session(h, app)
    header = HOSTILE[case](valid)
    presented = _presented_ids(header) - {sid_of(valid)}

    async with asgi_client(app) as client:
        written = await client.post("/incr", headers={b"cookie": header})
        read = await client.get("/read", headers={b"cookie": header})

    assert written.status_code == 200, written.text
    assert written.json()["n"] == 1  # a fresh session, not the victim's
    new_cookie = set_cookie_value(written)
    assert new_cookie
    new_sid = sid_of(new_cookie)
    assert new_sid not in presented
    assert new_sid != sid_of(valid)
    assert SIGNER.verify(new_cookie) is not None

    assert read.status_code == 200
    assert read.json() == {}

    rows = await h.prisma.session.find_many()
    assert {row.sid for row in rows} == {sid_of(valid), new_sid}
    assert not presented & {row.sid for row in rows}
    assert not presented & {row.id for row in rows}
    # The victim's session is untouched.
    assert (await h.store.get(sid_of(valid)) or {}).get("n") == 2


@pytest.mark.parametrize(
    "value",
    [
        "s:" + "unknown-but-well-formed-id-0123" + ".",
        "s%3Aunknown-but-well-formed-id-0123.bad",
        "%ZZ%00%FF",
        "s:" + "x" * 16384,
        "",
    ],
)
async def test_hostile_express_cookie_starts_a_fresh_session(
    make_store: MakeStore, value: str
) -> None:
    h = make_store()
    app = session_app(h.store, cookie_format="express")
    forged = ExpressSigner(SECRET).sign("unknown-but-well-formed-id-0123")
    async with asgi_client(app) as client:
        for cookie in (value, forged):
            response = await client.post("/incr", headers={"cookie": f"connect.sid={cookie}"})
            assert response.status_code == 200
            assert response.json()["n"] == 1
    rows = await h.prisma.session.find_many()
    assert len(rows) == 2
    assert "unknown-but-well-formed-id-0123" not in {row.sid for row in rows}

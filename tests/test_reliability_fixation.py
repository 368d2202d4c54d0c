"""Session fixation and signing keys: a client-chosen id is never adopted,
regenerate_session kills the old id, keys rotate without logging anyone out,
and a removed key no longer opens a session."""

from __future__ import annotations

from prisma_session_store._signing import ItsdangerousSigner
from tests.reliability_harness import SECRET, asgi_client, session_app, set_cookie_value, sid_of
from tests.store_harness import MakeStore

OLD_KEY = "old-signing-key-4f2a"
NEW_KEY = "new-signing-key-9c1e"


async def test_a_client_chosen_id_is_never_adopted(make_store: MakeStore) -> None:
    h = make_store()
    app = session_app(h.store)
    chosen = "attacker-chosen-session-id-000000"
    # Unsigned, and signed with the app's own key (a leaked key, or an id
    # that existed once): neither is adopted when the store does not know it.
    for cookie in (chosen, ItsdangerousSigner(SECRET).sign(chosen)):
        async with asgi_client(app) as client:
            response = await client.post("/incr", headers={"cookie": f"session={cookie}"})
        assert response.status_code == 200
        new_cookie = set_cookie_value(response)
        assert new_cookie
        assert sid_of(new_cookie) != chosen
    assert await h.row(chosen) is None
    assert await h.prisma.session.count(where={"id": chosen}) == 0


async def test_login_on_a_planted_session_moves_the_victim_to_a_new_id(
    make_store: MakeStore,
) -> None:
    """Classic fixation: the attacker plants their own live session cookie."""
    h = make_store()
    app = session_app(h.store)
    async with asgi_client(app) as attacker:
        await attacker.post("/incr")
        planted = attacker.cookies["session"]
        async with asgi_client(app, cookies={"session": planted}) as victim:
            login = await victim.post("/login", params={"user": "victim"})
            assert login.status_code == 200
            victim_cookie = set_cookie_value(login)
            assert victim_cookie
            assert sid_of(victim_cookie) != sid_of(planted)
            # The planted cookie (say, tossed from a sibling subdomain) is still
            # sent first, and must not lock the victim out of the new session.
            both = f"session={planted}; session={victim_cookie}"
            response = await victim.get("/read", headers={"cookie": both})
            assert response.json()["user"] == "victim"
        # The planted id is dead: the attacker is not logged in as the victim.
        seen = await attacker.get("/read")
    assert seen.status_code == 200
    assert seen.json() == {}
    assert await h.row(sid_of(planted)) is None


async def test_regenerate_kills_the_old_id_in_the_database_and_in_the_cookie(
    make_store: MakeStore,
) -> None:
    h = make_store()
    app = session_app(h.store)
    async with asgi_client(app) as client:
        await client.post("/incr", params={"token": "before"})
        old_cookie = client.cookies["session"]
        login = await client.post("/login", params={"user": "alice"})
        new_cookie = set_cookie_value(login)
        assert new_cookie
        assert sid_of(new_cookie) != sid_of(old_cookie)
        # The data moved with the session; the old row is gone.
        assert await h.row(sid_of(old_cookie)) is None
        stored = await h.store.get(sid_of(new_cookie))
        assert stored is not None
        assert stored["user"] == "alice"
        assert stored["n"] == 1
        assert (await client.get("/read")).json()["user"] == "alice"

    async with asgi_client(app) as replay:
        response = await replay.get("/read", headers={"cookie": f"session={old_cookie}"})
        assert response.status_code == 200
        assert response.json() == {}
        # Writing with the old cookie starts a new session, never the old id.
        response = await replay.post("/incr", headers={"cookie": f"session={old_cookie}"})
        fresh = set_cookie_value(response)
        assert fresh
        assert sid_of(fresh) not in {sid_of(old_cookie), sid_of(new_cookie)}
    assert await h.row(sid_of(old_cookie)) is None


async def test_rotating_the_secret_key_keeps_users_logged_in(make_store: MakeStore) -> None:
    h = make_store()
    before = session_app(h.store, secret_key=OLD_KEY)
    rotated = session_app(h.store, secret_key=[NEW_KEY, OLD_KEY])
    after = session_app(h.store, secret_key=[NEW_KEY])

    async with asgi_client(before) as client:
        await client.post("/login", params={"user": "alice"})
        old_cookie = client.cookies["session"]

    async with asgi_client(rotated) as client:
        response = await client.get("/read", headers={"cookie": f"session={old_cookie}"})
        assert response.json()["user"] == "alice"
        # Re-signed with the newest key: same session id, new signature.
        resigned = set_cookie_value(response)
        assert resigned
        assert sid_of(resigned) == sid_of(old_cookie)
        assert resigned != old_cookie

    async with asgi_client(after) as client:
        response = await client.get("/read", headers={"cookie": f"session={resigned}"})
        assert response.json()["user"] == "alice"
        # A cookie signed only with the removed key is rejected.
        response = await client.get("/read", headers={"cookie": f"session={old_cookie}"})
        assert response.status_code == 200
        assert response.json() == {}
        response = await client.post("/incr", headers={"cookie": f"session={old_cookie}"})
        fresh = set_cookie_value(response)
        assert fresh
        assert sid_of(fresh) != sid_of(old_cookie)
    # The rejection did not destroy the (still valid) session itself.
    stored = await h.store.get(sid_of(old_cookie))
    assert stored is not None
    assert stored["user"] == "alice"

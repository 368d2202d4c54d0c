"""PrismaSessionStore methods on the real client, ported from the Node
package's unit tests (length, get, destroy, touch, set, prune, ids, all,
clear, shutdown), plus the number of queries each one issues."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from prisma_session_store import PrismaSessionStore
from tests.conftest import Database
from tests.helpers import CountingClient
from tests.store_harness import MakeStore

# -- length --------------------------------------------------------------------------


async def test_length_is_zero_on_an_empty_table(make_store: MakeStore) -> None:
    h = make_store()
    assert await h.store.length() == 0
    assert h.calls == ["count"]


async def test_length_counts_live_sessions_only(make_store: MakeStore) -> None:
    h = make_store()
    for index in range(10):
        await h.insert(f"live-{index}", {}, expires_in=60)
    await h.insert("expired", {}, expires_in=-1)
    assert await h.store.length() == 10
    assert h.calls == ["count"]


# -- get -----------------------------------------------------------------------------


async def test_get_returns_the_stored_session(make_store: MakeStore) -> None:
    h = make_store()
    await h.insert("sid-0", {"sample": True, "nested": {"list": [1, "two", None]}}, expires_in=60)
    assert await h.store.get("sid-0") == {"sample": True, "nested": {"list": [1, "two", None]}}
    assert h.calls == ["find_unique"]


async def test_get_of_an_unknown_sid_is_none(make_store: MakeStore) -> None:
    h = make_store()
    assert await h.store.get("nope") is None
    assert h.calls == ["find_unique"]


async def test_get_of_an_expired_session_is_none_and_deletes_it(make_store: MakeStore) -> None:
    h = make_store()
    await h.insert("sid-0", {"sample": True}, expires_in=0)  # expiresAt == now: expired
    assert await h.store.get("sid-0") is None
    assert await h.row("sid-0") is None
    assert h.calls == ["find_unique", "delete_many"]


async def test_get_rejects_an_empty_or_non_string_sid(make_store: MakeStore) -> None:
    h = make_store()
    with pytest.raises(ValueError, match="must not be empty"):
        await h.store.get("")
    with pytest.raises(TypeError, match="must be a str"):
        await h.store.get(42)  # type: ignore[arg-type]
    assert h.calls == []


# -- set -----------------------------------------------------------------------------


async def test_set_creates_a_row_with_compact_json_and_a_random_id(
    make_store: MakeStore,
) -> None:
    h = make_store()
    await h.store.set("sid-0", {"cookie": {}, "sample": True, "text": "é😀"})
    row = await h.row("sid-0")
    assert row.data == '{"cookie":{},"sample":true,"text":"é😀"}'
    assert len(row.id) == 24
    assert row.id != "sid-0"
    assert h.calls == ["upsert"]


async def test_set_replaces_an_existing_session_and_keeps_its_id(make_store: MakeStore) -> None:
    h = make_store()
    await h.insert("sid-0", {"sample": False}, expires_in=60)
    await h.store.set("sid-0", {"cookie": {}, "sample": True})
    row = await h.row("sid-0")
    assert row.id == "id-sid-0"
    assert json.loads(row.data) == {"cookie": {}, "sample": True}
    assert h.calls == ["upsert"]
    assert await h.prisma.session.count() == 1


async def test_set_then_get_round_trips(make_store: MakeStore) -> None:
    h = make_store()
    session = {"cookie": {"originalMaxAge": 3_600_000}, "user": {"id": 7, "roles": ["a", "b"]}}
    await h.store.set("sid-0", session)
    assert await h.store.get("sid-0") == session


async def test_set_uses_db_record_id_function(make_store: MakeStore) -> None:
    h = make_store(db_record_id_function=lambda sid: f"record-{sid}")
    await h.store.set("sid-0", {})
    assert (await h.row("sid-0")).id == "record-sid-0"


async def test_set_with_db_record_id_is_session_id(make_store: MakeStore) -> None:
    h = make_store(db_record_id_is_session_id=True, db_record_id_function=lambda sid: "ignored")
    await h.store.set("sid-0", {})
    assert (await h.row("sid-0")).id == "sid-0"


async def test_set_rejects_a_session_that_is_not_a_mapping(make_store: MakeStore) -> None:
    h = make_store()
    with pytest.raises(TypeError, match="must be a mapping"):
        await h.store.set("sid-0", ["not", "a", "dict"])  # type: ignore[arg-type]
    assert h.calls == []


# -- touch ---------------------------------------------------------------------------


async def test_touch_moves_expires_at_and_leaves_the_data(make_store: MakeStore) -> None:
    h = make_store(ttl=300)
    await h.insert("sid-0", {"counter": 1}, expires_in=10)
    await h.store.touch("sid-0", {"counter": 999, "cookie": {"maxAge": 1}})
    row = await h.row("sid-0")
    assert json.loads(row.data) == {"counter": 1}
    assert row.expiresAt == h.clock.now + timedelta(seconds=300)
    assert h.calls == ["update_many"]


async def test_touch_of_a_missing_session_creates_nothing(make_store: MakeStore) -> None:
    h = make_store()
    await h.store.touch("sid-0", {"cookie": {"originalMaxAge": 300_000}})
    assert await h.row("sid-0") is None
    assert h.calls == ["update_many"]


async def test_touch_does_not_revive_an_expired_session(make_store: MakeStore) -> None:
    h = make_store(ttl=300)
    await h.insert("sid-0", {}, expires_in=-5)
    await h.store.touch("sid-0", {})
    assert await h.expires_at("sid-0") == h.clock.now - timedelta(seconds=5)
    assert await h.store.get("sid-0") is None


# -- destroy -------------------------------------------------------------------------


async def test_destroy_deletes_one_session(make_store: MakeStore) -> None:
    h = make_store()
    await h.insert("sid-0", {}, expires_in=60)
    await h.insert("sid-1", {}, expires_in=60)
    await h.store.destroy("sid-0")
    assert await h.row("sid-0") is None
    assert await h.row("sid-1") is not None
    assert h.calls == ["delete_many"]


async def test_destroy_of_a_missing_session_is_not_an_error(make_store: MakeStore) -> None:
    h = make_store()
    await h.store.destroy("nope")
    await h.store.destroy("nope")
    assert h.calls == ["delete_many", "delete_many"]


async def test_destroy_a_list_of_sids_in_one_statement(make_store: MakeStore) -> None:
    h = make_store()
    for index in range(4):
        await h.insert(f"sid-{index}", {}, expires_in=60)
    await h.store.destroy(["sid-0", "sid-1", "sid-2", "sid-1"])
    assert [row.sid for row in await h.prisma.session.find_many()] == ["sid-3"]
    assert h.calls == ["delete_many"]


async def test_destroy_many_sids_beyond_one_statement(make_store: MakeStore) -> None:
    h = make_store()
    await h.prisma.session.create_many(
        data=[
            {"id": f"id-{index}", "sid": f"sid-{index}", "data": "{}", "expiresAt": h.clock.now}
            for index in range(1200)
        ]
    )
    await h.store.destroy(f"sid-{index}" for index in range(1200))
    assert await h.prisma.session.count() == 0
    assert h.calls == ["delete_many"] * 3


async def test_destroy_of_nothing_issues_no_query(make_store: MakeStore) -> None:
    h = make_store()
    await h.store.destroy([])
    assert h.calls == []


# -- all, ids, clear -----------------------------------------------------------------


async def test_all_returns_live_sessions_by_sid(make_store: MakeStore) -> None:
    h = make_store()
    for index in range(10):
        await h.insert(str(index), {"i": str(index)}, expires_in=60)
    await h.insert("old", {"i": "old"}, expires_in=-60)
    assert await h.store.all() == {str(index): {"i": str(index)} for index in range(10)}
    assert h.calls == ["find_many"]


async def test_ids_lists_live_sessions(make_store: MakeStore) -> None:
    h = make_store()
    for index in range(10):
        await h.insert(f"sid-{index}", {}, expires_in=60)
    await h.insert("old", {}, expires_in=-60)
    assert sorted(await h.store.ids()) == sorted(f"sid-{index}" for index in range(10))
    assert h.calls == ["find_many"]


async def test_clear_deletes_every_session(make_store: MakeStore) -> None:
    h = make_store()
    await h.insert("live", {}, expires_in=60)
    await h.insert("old", {}, expires_in=-60)
    await h.store.clear()
    assert await h.prisma.session.count() == 0
    assert h.calls == ["delete_many"]


# -- prune ---------------------------------------------------------------------------


async def test_prune_removes_only_expired_sessions_in_one_delete(
    make_store: MakeStore, database: Database
) -> None:
    h = make_store()
    for index in range(5):
        await h.insert(f"old-{index}", {}, expires_in=-1 - index)
    await h.insert("now", {}, expires_in=0)
    await h.insert("live", {}, expires_in=1)
    mark = database.sql_log.mark()
    assert await h.store.prune() == 6
    statements = database.sql_log.statements(mark)
    assert [s.split()[0] for s in statements] == ["DELETE"]
    assert [row.sid for row in await h.prisma.session.find_many()] == ["live"]
    assert h.calls == ["delete_many"]
    assert h.logger.messages("info") == ["prune: removed 6 expired session(s)"]


async def test_prune_of_nothing_returns_zero(make_store: MakeStore) -> None:
    h = make_store()
    await h.insert("live", {}, expires_in=60)
    assert await h.store.prune() == 0
    assert h.logger.messages("info") == []


# -- SQL statements per operation ---------------------------------------------------


async def test_set_is_a_single_upsert_statement_where_the_database_has_one(
    make_store: MakeStore, database: Database
) -> None:
    h = make_store()
    await h.insert("sid-0", {}, expires_in=60)
    mark = database.sql_log.mark()
    await h.store.set("sid-0", {"a": 1})
    await h.store.set("sid-1", {"b": 2})
    statements = database.sql_log.statements(mark)
    if database.name == "mysql":
        # MySQL has no INSERT ... RETURNING: Prisma reads and writes in one
        # transaction. Still one query from the store, one write statement.
        writes = [
            s.split()[0] for s in statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE")
        ]
        assert writes == ["UPDATE", "INSERT"]
    else:
        assert len(statements) == 2
        assert all(s.startswith("INSERT") and "ON CONFLICT" in s for s in statements)


async def test_get_is_one_select(make_store: MakeStore, database: Database) -> None:
    h = make_store()
    await h.insert("sid-0", {"a": 1}, expires_in=60)
    mark = database.sql_log.mark()
    await h.store.get("sid-0")
    statements = database.sql_log.statements(mark)
    assert len(statements) == 1
    assert statements[0].startswith("SELECT")


# -- connection and shutdown ---------------------------------------------------------


async def test_no_connect_per_call(make_store: MakeStore) -> None:
    h = make_store()
    await h.store.set("sid-0", {})
    await h.store.get("sid-0")
    await h.store.touch("sid-0", {})
    await h.store.destroy("sid-0")
    assert h.client.connects == 0  # connected already: never again


async def test_store_connects_once_and_shutdown_disconnects(database: Database) -> None:
    client = CountingClient(database.new_client())
    store = PrismaSessionStore(client)
    assert not client.is_connected()
    await store.set("sid-0", {"a": 1})
    assert await store.get("sid-0") == {"a": 1}
    await store.destroy("sid-0")
    assert client.connects == 1
    await store.shutdown()
    assert client.disconnects == 1
    assert not client.is_connected()


async def test_shutdown_leaves_a_client_the_store_did_not_connect(
    make_store: MakeStore,
) -> None:
    h = make_store()
    await h.store.length()
    await h.store.shutdown()
    assert h.client.disconnects == 0
    assert h.client.is_connected()


async def test_async_with_connects_and_shuts_down(database: Database) -> None:
    client = CountingClient(database.new_client())
    async with PrismaSessionStore(client) as store:
        assert client.is_connected()
        await store.set("sid-0", {})
        assert await store.length() == 1
        await store.clear()
    assert not client.is_connected()


async def test_other_session_model_name(make_store: MakeStore) -> None:
    h = make_store(attribute="otherSession")
    for index in range(10):
        await h.store.set(str(index), {})
    assert sorted(await h.store.ids(), key=int) == [str(index) for index in range(10)]


# -- replace ---------------------------------------------------------------------------------


async def test_replace_overwrites_a_stored_session_with_one_update(make_store: MakeStore) -> None:
    h = make_store()
    await h.store.set("kept", {"n": 1})
    h.client.calls.clear()
    assert await h.store.replace("kept", {"n": 2}) is True
    assert h.calls == ["update_many"]
    assert await h.store.get("kept") == {"n": 2}


async def test_replace_does_not_bring_back_a_destroyed_session(make_store: MakeStore) -> None:
    disposed: list[str] = []
    h = make_store(dispose=lambda sid, session: disposed.append(sid))
    await h.store.set("ended", {"n": 1})
    await h.store.destroy("ended")
    assert await h.store.replace("ended", {"n": 2}) is False
    assert await h.row("ended") is None
    assert disposed == ["ended"]  # by the destroy only


async def test_replace_with_the_values_already_stored_counts_as_written(
    make_store: MakeStore,
) -> None:
    # The clock stands still, so the row gets exactly what it holds: an
    # UPDATE that changes nothing, which MySQL reports as 0 rows.
    h = make_store()
    await h.store.set("same", {"n": 1})
    assert await h.store.replace("same", {"n": 1}) is True
    assert await h.store.get("same") == {"n": 1}

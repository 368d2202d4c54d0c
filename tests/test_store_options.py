"""Every option of PrismaSessionStore doing what it says, on the real client:
the Node package's option tests (serializer, logger, logger level, ttl,
record ids) and the options it documented but never implemented (dispose,
stale, no_dispose_on_set)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from prisma_session_store import PrismaSessionStore, SerializationError
from tests.helpers import RecordingLogger
from tests.store_harness import MakeStore

# -- ttl -----------------------------------------------------------------------------


async def test_ttl_number_in_seconds(make_store: MakeStore) -> None:
    h = make_store(ttl=500, round_ttl=0.1)
    await h.store.set("sid-0", {})
    # 03:04:05.678 rounded down to a tenth of a second, plus 500 s
    assert await h.expires_at("sid-0") == h.clock.now - timedelta(milliseconds=78) + timedelta(
        seconds=500
    )


async def test_ttl_timedelta(make_store: MakeStore) -> None:
    h = make_store(ttl=timedelta(hours=2))
    await h.store.set("sid-0", {})
    assert await h.expires_at("sid-0") == h.clock.now + timedelta(hours=2)


async def test_ttl_factory_gets_the_session_and_sid(make_store: MakeStore) -> None:
    seen: list[tuple[Mapping[str, Any], str]] = []

    def ttl(session: Mapping[str, Any], sid: str) -> float:
        seen.append((session, sid))
        return 500

    h = make_store(ttl=ttl)
    await h.store.set("sid-0", {"remember": True})
    assert seen == [({"remember": True}, "sid-0")]
    assert await h.expires_at("sid-0") == h.clock.now + timedelta(seconds=500)


async def test_ttl_factory_returning_garbage_writes_nothing(make_store: MakeStore) -> None:
    h = make_store(ttl=lambda session, sid: "12")
    with pytest.raises(TypeError, match="ttl"):
        await h.store.set("sid-0", {})
    assert await h.row("sid-0") is None


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("12", TypeError),
        (True, TypeError),
        (-5, ValueError),
        (0, ValueError),
        (float("nan"), ValueError),
    ],
)
def test_invalid_ttl_is_refused_at_construction(
    value: object, error: type[Exception], prisma: Any
) -> None:
    with pytest.raises(error, match="ttl"):
        PrismaSessionStore(prisma, ttl=value)  # type: ignore[arg-type]


async def test_ttl_from_cookie_original_max_age(make_store: MakeStore) -> None:
    h = make_store()
    await h.store.set("sid-0", {"cookie": {"originalMaxAge": 100_000, "expires": None}})
    assert await h.expires_at("sid-0") == h.clock.now + timedelta(seconds=100)


async def test_ttl_from_cookie_max_age(make_store: MakeStore) -> None:
    h = make_store()
    await h.store.set("sid-0", {"cookie": {"maxAge": 100_000}})
    assert await h.expires_at("sid-0") == h.clock.now + timedelta(seconds=100)


async def test_ttl_from_cookie_expires_wins_over_max_age(make_store: MakeStore) -> None:
    h = make_store()
    expires = h.clock.now + timedelta(minutes=30)
    cookie = {"originalMaxAge": 5_000, "expires": expires.isoformat().replace("+00:00", "Z")}
    await h.store.set("sid-0", {"cookie": cookie})
    assert await h.expires_at("sid-0") == expires


async def test_ttl_defaults_to_one_day(make_store: MakeStore) -> None:
    h = make_store()
    await h.store.set("sid-0", {"cookie": {"originalMaxAge": None, "expires": None}})
    assert await h.expires_at("sid-0") == h.clock.now + timedelta(days=1)


async def test_ttl_option_overrides_the_cookie(make_store: MakeStore) -> None:
    h = make_store(ttl=500)
    await h.store.set("sid-0", {"cookie": {"maxAge": 100_000}})
    assert await h.expires_at("sid-0") == h.clock.now + timedelta(seconds=500)


async def test_round_ttl_rounds_now_down(make_store: MakeStore) -> None:
    h = make_store(ttl=60, round_ttl=timedelta(minutes=1))
    await h.store.set("sid-0", {})
    assert await h.expires_at("sid-0") == h.clock.now.replace(second=0, microsecond=0) + timedelta(
        seconds=60
    )


# -- serializer ----------------------------------------------------------------------


class UpperSerializer:
    """A custom serializer: JSON, with a marker so the test can see it was used."""

    def __init__(self) -> None:
        self.dumped = 0
        self.loaded = 0

    def dumps(self, obj: Any, /) -> str:
        self.dumped += 1
        return "custom:" + json.dumps(obj)

    def loads(self, s: str, /) -> Any:
        self.loaded += 1
        return json.loads(s.removeprefix("custom:"))


async def test_custom_serializer(make_store: MakeStore) -> None:
    serializer = UpperSerializer()
    h = make_store(serializer=serializer)
    await h.store.set("sid-0", {"a": 1})
    assert (await h.row("sid-0")).data == 'custom:{"a": 1}'
    assert await h.store.get("sid-0") == {"a": 1}
    assert (serializer.dumped, serializer.loaded) == (1, 1)


async def test_the_json_module_works_as_a_serializer(make_store: MakeStore) -> None:
    h = make_store(serializer=json)
    await h.store.set("sid-0", {"a": [1, 2]})
    assert await h.store.get("sid-0") == {"a": [1, 2]}


@pytest.mark.parametrize(
    "session",
    [{"when": object()}, {"nan": float("nan")}, {"set": {1, 2}}],
    ids=["object", "nan", "set"],
)
async def test_unserializable_session_raises_and_writes_nothing(
    make_store: MakeStore, session: dict[str, Any]
) -> None:
    h = make_store()
    await h.insert("sid-0", {"kept": True}, expires_in=60)
    with pytest.raises(SerializationError, match="cannot be serialized"):
        await h.store.set("sid-0", session)
    assert json.loads((await h.row("sid-0")).data) == {"kept": True}
    assert h.calls == []


def test_serializer_without_loads_is_refused(prisma: Any) -> None:
    with pytest.raises(TypeError, match="dumps\\(\\) and loads\\(\\)"):
        PrismaSessionStore(prisma, serializer=object())  # type: ignore[arg-type]


# -- logger and logger_level ---------------------------------------------------------


async def test_errors_are_logged_by_default_and_nothing_else(make_store: MakeStore) -> None:
    logger = RecordingLogger()
    h = make_store(logger=logger, logger_level="error")
    await h.insert("expired", {}, expires_in=-1)
    await h.insert("broken-row", {}, expires_in=60)
    await h.prisma.session.update(where={"sid": "broken-row"}, data={"data": "{ invalid json"})
    assert await h.store.prune() == 1  # an info message, not emitted
    assert await h.store.get("broken-row") is None
    assert [level for level, _ in logger.records] == ["error"]
    assert logger.messages("error") == [
        "get broken...: stored data is unreadable (JSONDecodeError); treated as no session"
    ]


async def test_logger_level_info_emits_prune_messages(make_store: MakeStore) -> None:
    logger = RecordingLogger()
    h = make_store(logger=logger, logger_level=["info"])
    await h.insert("expired", {}, expires_in=-1)
    await h.store.prune()
    assert logger.records == [("info", "prune: removed 1 expired session(s)")]


async def test_partial_logger_is_fine(make_store: MakeStore) -> None:
    class OnlyInfo:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def info(self, message: str) -> None:
            self.lines.append(message)

    logger = OnlyInfo()
    h = make_store(logger=logger, logger_level=["error", "info"])
    await h.insert("expired", {}, expires_in=-1)
    await h.insert("broken", {}, expires_in=60)
    await h.prisma.session.update(where={"sid": "broken"}, data={"data": "[1, 2]"})
    await h.store.prune()
    assert await h.store.get("broken") is None  # logs an error: OnlyInfo has no error()
    assert logger.lines == ["prune: removed 1 expired session(s)"]


async def test_logger_false_silences(
    make_store: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_store(logger=False)
    await h.insert("broken-row", {}, expires_in=60)
    await h.prisma.session.update(where={"sid": "broken-row"}, data={"data": "not json"})
    with caplog.at_level(logging.DEBUG, logger="prisma_session_store"):
        assert await h.store.get("broken-row") is None
    assert [r for r in caplog.records if r.name.startswith("prisma_session_store")] == []


async def test_default_logger_is_the_package_logger_and_hides_the_sid(
    make_store: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_store(logger=None)
    sid = "s3cr3t-session-id-value"
    await h.insert(sid, {}, expires_in=60)
    await h.prisma.session.update(where={"sid": sid}, data={"data": "not json"})
    with caplog.at_level(logging.ERROR, logger="prisma_session_store"):
        assert await h.store.get(sid) is None
    assert [record.name for record in caplog.records] == ["prisma_session_store"]
    assert caplog.records[0].getMessage().startswith("get s3cr3t...: stored data is unreadable")
    assert sid not in caplog.text


@pytest.mark.parametrize("level", ["log", "warn", "debug", ["error", "fatal"]])
def test_unknown_logger_level_is_refused(level: Any, prisma: Any) -> None:
    with pytest.raises(ValueError, match="logger_level"):
        PrismaSessionStore(prisma, logger_level=level)


# -- dispose, stale, no_dispose_on_set -----------------------------------------------


class Disposed:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, sid: str, session: dict[str, Any]) -> None:
        self.calls.append((sid, session))


async def test_dispose_on_destroy(make_store: MakeStore) -> None:
    disposed = Disposed()
    h = make_store(dispose=disposed)
    await h.insert("sid-0", {"a": 0}, expires_in=60)
    await h.insert("sid-1", {"a": 1}, expires_in=60)
    await h.store.destroy("sid-0")
    await h.store.destroy(["sid-1", "missing"])
    assert disposed.calls == [("sid-0", {"a": 0}), ("sid-1", {"a": 1})]


async def test_dispose_on_prune_and_on_expired_get(make_store: MakeStore) -> None:
    disposed = Disposed()
    h = make_store(dispose=disposed)
    await h.insert("old-0", {"n": 0}, expires_in=-10)
    await h.insert("old-1", {"n": 1}, expires_in=-10)
    await h.insert("live", {"n": 2}, expires_in=10)
    assert await h.store.get("old-0") is None
    assert await h.store.prune() == 1
    assert disposed.calls == [("old-0", {"n": 0}), ("old-1", {"n": 1})]


async def test_dispose_on_clear(make_store: MakeStore) -> None:
    disposed = Disposed()
    h = make_store(dispose=disposed)
    await h.insert("sid-0", {"n": 0}, expires_in=-10)
    await h.insert("sid-1", {"n": 1}, expires_in=10)
    await h.store.clear()
    assert sorted(disposed.calls) == [("sid-0", {"n": 0}), ("sid-1", {"n": 1})]


async def test_dispose_on_overwrite_by_set(make_store: MakeStore) -> None:
    disposed = Disposed()
    h = make_store(dispose=disposed)
    await h.store.set("sid-0", {"v": 1})
    await h.store.set("sid-0", {"v": 2})
    assert disposed.calls == [("sid-0", {"v": 1})]
    assert h.calls == ["find_unique", "upsert", "find_unique", "upsert"]


async def test_no_dispose_on_set(make_store: MakeStore) -> None:
    disposed = Disposed()
    h = make_store(dispose=disposed, no_dispose_on_set=True)
    await h.store.set("sid-0", {"v": 1})
    await h.store.set("sid-0", {"v": 2})
    await h.store.destroy("sid-0")
    assert disposed.calls == [("sid-0", {"v": 2})]
    assert h.calls == ["upsert", "upsert", "find_many", "delete_many"]


async def test_async_dispose_is_awaited_and_its_errors_are_logged(make_store: MakeStore) -> None:
    seen: list[str] = []

    async def dispose(sid: str, session: dict[str, Any]) -> None:
        seen.append(sid)
        raise RuntimeError("cleanup failed")

    h = make_store(dispose=dispose)
    await h.insert("session-zero", {}, expires_in=60)
    await h.store.destroy("session-zero")  # the row is gone: the callback's error does not fail it
    assert seen == ["session-zero"]
    assert await h.row("session-zero") is None
    assert h.logger.messages("error") == [
        "dispose sessio...: the dispose callback raised RuntimeError('cleanup failed')"
    ]


async def test_stale_returns_an_expired_session_once(make_store: MakeStore) -> None:
    h = make_store(stale=True)
    await h.insert("sid-0", {"last": "words"}, expires_in=-1)
    assert await h.store.get("sid-0") == {"last": "words"}
    assert await h.store.get("sid-0") is None
    assert await h.row("sid-0") is None


async def test_without_stale_an_expired_session_is_never_returned(make_store: MakeStore) -> None:
    h = make_store()
    await h.insert("sid-0", {"last": "words"}, expires_in=-1)
    assert await h.store.get("sid-0") is None


# -- record ids and other constructor checks -----------------------------------------


def test_non_callable_dispose_is_refused(prisma: Any) -> None:
    with pytest.raises(TypeError, match="dispose must be callable"):
        PrismaSessionStore(prisma, dispose="nope")  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "error"), [(-1, ValueError), ("10", TypeError)])
def test_invalid_check_period_is_refused(
    value: object, error: type[Exception], prisma: Any
) -> None:
    with pytest.raises(error, match="check_period"):
        PrismaSessionStore(prisma, check_period=value)  # type: ignore[arg-type]


def test_logger_without_methods_is_refused(prisma: Any) -> None:
    with pytest.raises(TypeError, match="logger"):
        PrismaSessionStore(prisma, logger=object())  # type: ignore[arg-type]


# -- max_concurrent_queries -----------------------------------------------------------------


@pytest.mark.parametrize(("bound", "expected_peak"), [(2, 2), (None, 10)])
async def test_max_concurrent_queries_bounds_the_queries_in_flight(
    make_store: MakeStore, bound: int | None, expected_peak: int
) -> None:
    h = make_store(max_concurrent_queries=bound)
    h.client.delegate.delay = 0.01  # each query stays in flight a while
    await asyncio.gather(*(h.store.get(f"sid-{index}") for index in range(10)))
    assert h.client.delegate.max_active == expected_peak
    assert h.calls == ["find_unique"] * 10


@pytest.mark.parametrize(
    ("bound", "error"), [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_invalid_max_concurrent_queries_is_refused(
    prisma: Any, bound: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="max_concurrent_queries"):
        PrismaSessionStore(prisma, max_concurrent_queries=bound)

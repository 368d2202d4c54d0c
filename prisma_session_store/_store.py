"""PrismaSessionStore: sessions in a Prisma model, one query per operation."""

from __future__ import annotations

import asyncio
import inspect
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import datetime, timedelta, timezone
from functools import partial
from types import TracebackType
from typing import Any, Literal, NamedTuple, TypeAlias, TypeVar, cast

from ._client import (
    COLUMN_MISSING,
    TABLE_MISSING,
    UNIQUE_VIOLATION,
    WRITE_CONFLICT,
    PrismaClient,
    SessionDelegate,
    SessionRecord,
    prisma_error_code,
)
from ._errors import ConfigurationError, SerializationError
from ._expiry import Duration, Ttl, compute_expires_at, to_timedelta
from ._interval import IntervalErrorHandler, PruneInterval
from ._keyed_lock import KeyedLock
from ._log import LoggerLike, StoreLogger, parse_levels, redact_sid
from ._serializer import JSON_SERIALIZER, Serializer

__all__ = ["DisposeCallback", "PrismaSessionStore", "SessionData", "StoredSession"]

SessionData: TypeAlias = dict[str, Any]
"""A session: a JSON object (with express-session's ``cookie`` when shared with Node)."""

DisposeCallback: TypeAlias = Callable[[str, SessionData], object]
"""Called as ``dispose(sid, session)`` when a stored session is dropped; may be async."""


class StoredSession(NamedTuple):
    """A session as :meth:`PrismaSessionStore.load` returns it."""

    session: SessionData
    expires_at: datetime


_DELEGATE_METHODS = ("find_unique", "find_many", "count", "upsert", "update_many", "delete_many")

# Rows per statement when sids are listed in an IN (...): below every
# database's limit on bound parameters.
_CHUNK = 500

_T = TypeVar("_T")

# Tries of one write before a retryable error propagates (see _write).
_WRITE_ATTEMPTS = 4
_RETRY_DEADLOCK = frozenset({WRITE_CONFLICT})
_RETRY_UPSERT = frozenset({WRITE_CONFLICT, UNIQUE_VIOLATION})


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _random_record_id(_sid: str) -> str:
    return secrets.token_urlsafe(18)


def _query_slots(max_concurrent_queries: int | None) -> AbstractAsyncContextManager[Any]:
    """What a store operation holds while it is at the database."""
    if max_concurrent_queries is None:
        return nullcontext()
    if isinstance(max_concurrent_queries, bool) or not isinstance(max_concurrent_queries, int):
        raise TypeError(
            "max_concurrent_queries must be an int or None, "
            f"got {type(max_concurrent_queries).__name__}"
        )
    if max_concurrent_queries < 1:
        raise ValueError(f"max_concurrent_queries must be at least 1, got {max_concurrent_queries}")
    return asyncio.Semaphore(max_concurrent_queries)


def _record_id_is_sid(sid: str) -> str:
    return sid


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _check_sid(sid: object) -> str:
    if not isinstance(sid, str):
        raise TypeError(f"a session id must be a str, got {type(sid).__name__}")
    if not sid:
        raise ValueError("a session id must not be empty")
    return sid


def _resolve_delegate(prisma: object, model_name: str) -> SessionDelegate:
    """The model delegate, checked now so that a wrong name or client fails at start."""
    delegate = getattr(prisma, model_name, None)
    if delegate is None:
        raise ConfigurationError(
            f"the Prisma client has no model delegate {model_name!r}: add the Session model to "
            "your schema.prisma and run `prisma generate`, or pass session_model_name= with the "
            "client attribute of your session model (the model name in camelCase)"
        )
    missing = [name for name in _DELEGATE_METHODS if not callable(getattr(delegate, name, None))]
    if missing:
        raise ConfigurationError(
            f"prisma.{model_name} is not a Prisma model delegate (no {', '.join(missing)})"
        )
    if not inspect.iscoroutinefunction(delegate.find_unique):
        raise ConfigurationError(
            'the Prisma client was generated with the sync interface: set interface = "asyncio" '
            "in the generator block of schema.prisma and run `prisma generate` again"
        )
    return cast(SessionDelegate, delegate)


class PrismaSessionStore:
    """Sessions stored in a Prisma model (by default ``Session``).

    A port of the Node package ``@quixo3/prisma-session-store``: same table,
    same options in Pythonic form (durations in seconds or ``timedelta``),
    ``async`` methods that raise instead of callbacks.

    The Prisma client is connected on first use if it is not connected yet
    (and then disconnected by :meth:`shutdown`). The automatic prune
    (``check_period``) starts on first use too, or with ``async with store``.

    Args:
        prisma: a Prisma Client Python client generated with
            ``interface = "asyncio"``.
        check_period: seconds (or timedelta) between automatic prunes of
            expired sessions; None or 0 turns them off. Each wait is jittered
            by up to 10% so that several app instances do not prune together.
        ttl: lifetime of a session written by ``set``/``touch``: seconds, a
            timedelta, or a callable ``(session, sid)`` returning either.
            Overrides the session cookie. Default: the cookie's ``expires``,
            ``originalMaxAge`` or ``maxAge`` (milliseconds), else one day.
        db_record_id_is_session_id: use the session id as the row's ``id``.
        db_record_id_function: ``sid -> id`` for new rows; default a random
            24-character id. Ignored with ``db_record_id_is_session_id``.
        dispose: called as ``dispose(sid, session)`` (sync or async) whenever a
            stored session is dropped: by destroy, clear, prune, expiry found by
            get, and overwrite by set or replace unless ``no_dispose_on_set``.
            Costs one read before each such write. Two processes removing the same
            session at once may both dispose it: make it idempotent.
        stale: a ``get`` of an expired session returns its data once (and
            deletes it) instead of None.
        no_dispose_on_set: do not call ``dispose`` when ``set`` or ``replace``
            overwrites.
        serializer: an object with ``dumps``/``loads``; default compact JSON,
            the text the Node package writes.
        session_model_name: the client attribute of the session model.
        logger: a ``logging.Logger`` or any object with ``error``/``warning``/
            ``info``; None for the ``prisma_session_store`` logger; False for
            silence.
        logger_level: the levels to emit: one of, or a collection of,
            ``"error"``, ``"warning"``, ``"info"``. Default errors only.
        round_ttl: seconds (or timedelta): round "now" down to a multiple of
            it before adding the ttl.
        enable_concurrent_set_invocations_for_same_session_id: let ``set``
            calls for one session id run at the same time. Default False:
            they queue and run one after another (none is dropped).
        enable_concurrent_touch_invocations_for_same_session_id: the same for
            ``touch``.
        max_concurrent_queries: how many of this store's operations may be
            at the database at once; the others wait their turn. Prisma
            Client Python spends more CPU per query the more queries it has
            in flight (about twice as much at 32 as at 4, measured here), so a
            small bound raises throughput under load. Raise it for a database
            far away; None removes the bound.
        clock: returns the current time as an aware datetime; a hook for tests.
    """

    def __init__(
        self,
        prisma: PrismaClient,
        *,
        check_period: Duration | None = None,
        ttl: Ttl | None = None,
        db_record_id_is_session_id: bool = False,
        db_record_id_function: Callable[[str], str] | None = None,
        dispose: DisposeCallback | None = None,
        stale: bool = False,
        no_dispose_on_set: bool = False,
        serializer: Serializer = JSON_SERIALIZER,
        session_model_name: str = "session",
        logger: LoggerLike | Literal[False] | None = None,
        logger_level: str | Iterable[str] = "error",
        round_ttl: Duration | None = None,
        enable_concurrent_set_invocations_for_same_session_id: bool = False,
        enable_concurrent_touch_invocations_for_same_session_id: bool = False,
        max_concurrent_queries: int | None = 4,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not isinstance(session_model_name, str) or not session_model_name:
            raise TypeError("session_model_name must be a non-empty str")
        if ttl is not None and not callable(ttl):
            to_timedelta(ttl, "ttl")
        for name, value in (("db_record_id_function", db_record_id_function), ("dispose", dispose)):
            if value is not None and not callable(value):
                raise TypeError(f"{name} must be callable, got {type(value).__name__}")
        if not callable(getattr(serializer, "dumps", None)) or not callable(
            getattr(serializer, "loads", None)
        ):
            raise TypeError("serializer must have dumps() and loads() methods")
        if not callable(clock):
            raise TypeError("clock must be callable")
        if (
            logger is not None
            and logger is not False
            and not any(
                callable(getattr(logger, level, None)) for level in ("error", "warning", "info")
            )
        ):
            raise TypeError("logger must have error(), warning() or info() methods, or be False")

        self._prisma = prisma
        self._delegate = _resolve_delegate(prisma, session_model_name)
        self._model_name = session_model_name
        self._ttl = ttl
        self._round_to = None if round_ttl is None else to_timedelta(round_ttl, "round_ttl")
        self._record_id: Callable[[str], str]
        if db_record_id_is_session_id:
            self._record_id = _record_id_is_sid
        else:
            self._record_id = db_record_id_function or _random_record_id
        self._dispose = dispose
        self._stale = stale
        self._no_dispose_on_set = no_dispose_on_set
        self._serializer = serializer
        self._log = StoreLogger(logger, parse_levels(logger_level))
        self._clock = clock
        self._set_lock = (
            None if enable_concurrent_set_invocations_for_same_session_id else KeyedLock()
        )
        self._touch_lock = (
            None if enable_concurrent_touch_invocations_for_same_session_id else KeyedLock()
        )

        self._check_period: timedelta | None = None
        if check_period is not None and check_period != 0:
            self._check_period = to_timedelta(check_period, "check_period")
        self._interval: PruneInterval | None = None
        self._interval_autostart = self._check_period is not None
        self._connect_lock = asyncio.Lock()
        self._query_slots = _query_slots(max_concurrent_queries)
        self._owns_connection = False

    # -- lifecycle ---------------------------------------------------------

    async def __aenter__(self) -> PrismaSessionStore:
        # A store entered again after an exit (an app restarted in the same
        # process) prunes again: the exit's shutdown() stopped the interval.
        if self._check_period is not None and self._interval is None:
            self._interval_autostart = True
        delegate = await self._ready()
        # One cheap query now, so that a missing table fails at start-up
        # rather than on the first request.
        async with self._database("start"):
            await delegate.find_unique(where={"sid": ""})
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.shutdown()

    async def start_interval(self, on_interval_error: IntervalErrorHandler | None = None) -> None:
        """Start pruning expired sessions every ``check_period`` seconds.

        Errors of a scheduled prune go to ``on_interval_error(error)`` (sync
        or async) if given, else to the logger. Starting a running interval
        changes nothing; a stopped one can be started again.

        Raises:
            ValueError: the store has no ``check_period``.
        """
        if self._check_period is None:
            raise ValueError("start_interval() needs the check_period option")
        self._interval_autostart = False
        if self._interval is not None and self._interval.running:
            return
        self._interval = PruneInterval(
            period=self._check_period.total_seconds(),
            prune=self.prune,
            on_error=on_interval_error or self._log_interval_error,
            report=self._log.error,
        )
        self._interval.start()

    async def stop_interval(self) -> None:
        """Stop the automatic prune; when this returns, no prune is running."""
        self._interval_autostart = False
        if self._interval is not None:
            await self._interval.stop()
            self._interval = None

    async def shutdown(self) -> None:
        """Stop the automatic prune and disconnect the Prisma client if the
        store connected it. Call it when the application stops."""
        await self.stop_interval()
        if self._owns_connection:
            self._owns_connection = False
            if self._prisma.is_connected():
                await self._prisma.disconnect()

    # -- reading -----------------------------------------------------------

    async def get(self, sid: str) -> SessionData | None:
        """The session stored under ``sid``, or None (missing, expired, unreadable).

        An expired row is deleted; with ``stale`` its data is returned that
        one time.
        """
        stored = await self.load(sid)
        return None if stored is None else stored.session

    async def load(self, sid: str) -> StoredSession | None:
        """Like :meth:`get`, with the session's ``expiresAt`` (same single query)."""
        _check_sid(sid)
        delegate = await self._ready()
        async with self._database("get"):
            row = await delegate.find_unique(where={"sid": sid})
            if row is None:
                return None
            now = self.now()
            if row.expiresAt > now:
                session = self._decode(row, "get")
                return None if session is None else StoredSession(session, row.expiresAt)
            # Only the caller whose delete removed the row disposes of it (and,
            # with `stale`, returns it): concurrent gets see it once in all.
            removed = await self._write(
                lambda: delegate.delete_many(where={"sid": sid, "expiresAt": {"lte": now}})
            )
        if not removed or not (self._stale or self._dispose is not None):
            return None
        session = self._decode(row, "get")
        if session is None:
            return None
        await self._call_dispose(sid, session)
        return StoredSession(session, row.expiresAt) if self._stale else None

    def expiry_for(self, sid: str, session: Mapping[str, Any]) -> datetime:
        """The ``expiresAt`` that ``set`` or ``touch`` would write now (no query)."""
        return self._expires_at(session, sid)

    def now(self) -> datetime:
        """The store's current time (its ``clock``), an aware UTC datetime."""
        now = self._clock()
        if now.tzinfo is None:
            raise ConfigurationError("clock() must return an aware datetime (UTC)")
        return now

    async def all(self) -> dict[str, SessionData]:
        """Every live session, by session id."""
        delegate = await self._ready()
        async with self._database("all"):
            rows = await delegate.find_many(where={"expiresAt": {"gt": self.now()}})
        sessions: dict[str, SessionData] = {}
        for row in rows:
            session = self._decode(row, "all")
            if session is not None:
                sessions[row.sid] = session
        return sessions

    async def ids(self) -> list[str]:
        """The ids of every live session."""
        delegate = await self._ready()
        async with self._database("ids"):
            rows = await delegate.find_many(where={"expiresAt": {"gt": self.now()}})
        return [row.sid for row in rows]

    async def length(self) -> int:
        """The number of live sessions (one COUNT)."""
        delegate = await self._ready()
        async with self._database("length"):
            return await delegate.count(where={"expiresAt": {"gt": self.now()}})

    # -- writing -----------------------------------------------------------

    async def set(self, sid: str, session: Mapping[str, Any]) -> None:
        """Store ``session`` under ``sid``: one atomic upsert.

        Raises:
            SerializationError: the serializer cannot encode ``session``;
                nothing was written.
        """
        await self._overwrite(sid, session, "set", insert=True)

    async def replace(self, sid: str, session: Mapping[str, Any]) -> bool:
        """Overwrite a session that is still stored: one UPDATE, never an insert.

        Returns False, having written nothing, when the row is gone
        (destroyed or pruned meanwhile). The middleware saves a loaded session
        with it, so that a request that was running while another one logged
        out does not bring the session back.

        Raises:
            SerializationError: the serializer cannot encode ``session``;
                nothing was written.
        """
        return await self._overwrite(sid, session, "replace", insert=False)

    async def _overwrite(
        self, sid: str, session: Mapping[str, Any], operation: str, *, insert: bool
    ) -> bool:
        """``set`` (an upsert) or ``replace`` (an update): whether a row was written."""
        _check_sid(sid)
        text = self._encode(sid, session, operation)
        delegate = await self._ready()
        async with self._serialized(self._set_lock, sid), self._database(operation):
            previous = None
            if self._dispose is not None and not self._no_dispose_on_set:
                previous = await delegate.find_unique(where={"sid": sid})
            expires_at = self._expires_at(session, sid)
            if insert:
                await self._upsert(delegate, sid, text, expires_at)
                written = True
            else:
                data = {"data": text, "expiresAt": expires_at}
                updated = await self._write(
                    lambda: delegate.update_many(where={"sid": sid}, data=data)
                )
                # MySQL counts the rows an UPDATE changed, not those it
                # matched: writing the values a row already holds counts 0.
                written = bool(updated) or (
                    await delegate.find_unique(where={"sid": sid}) is not None
                )
        if previous is not None and written:
            old_session = self._decode(previous, operation)
            if old_session is not None:
                await self._call_dispose(sid, old_session)
        return written

    async def touch(self, sid: str, session: Mapping[str, Any]) -> None:
        """Extend the life of a live session: one UPDATE of ``expiresAt`` only.

        The stored data is left as it is (``session`` only decides the new
        expiry); a missing or expired session is not brought back.
        """
        _check_sid(sid)
        delegate = await self._ready()
        async with self._serialized(self._touch_lock, sid), self._database("touch"):
            now = self.now()
            expires_at = self._expires_at(session, sid, now)
            await self._write(
                lambda: delegate.update_many(
                    where={"sid": sid, "expiresAt": {"gt": now}}, data={"expiresAt": expires_at}
                )
            )

    async def destroy(self, sid: str | Iterable[str]) -> None:
        """Delete one session or several; deleting a missing one is not an error."""
        sids = [_check_sid(sid)] if isinstance(sid, str) else list(dict.fromkeys(sid))
        for each in sids:
            _check_sid(each)
        if not sids:
            return
        delegate = await self._ready()
        dropped: list[SessionRecord] = []
        async with self._database("destroy"):
            for chunk in _chunks(sids):
                where = {"sid": chunk[0]} if len(chunk) == 1 else {"sid": {"in": list(chunk)}}
                if self._dispose is not None:
                    dropped.extend(await delegate.find_many(where=where))
                await self._write(partial(delegate.delete_many, where=where))
        await self._dispose_rows(dropped, "destroy")

    async def clear(self) -> None:
        """Delete every session, live or expired."""
        delegate = await self._ready()
        async with self._database("clear"):
            rows = await delegate.find_many() if self._dispose is not None else ()
            await self._write(delegate.delete_many)
        await self._dispose_rows(rows, "clear")

    async def prune(self) -> int:
        """Delete the expired sessions: one DELETE; returns how many were removed.

        With ``dispose``, the expired rows are read first so that it can be
        called for each of them.
        """
        delegate = await self._ready()
        now = self.now()
        expired = {"expiresAt": {"lte": now}}
        async with self._database("prune"):
            if self._dispose is None:
                removed = await self._write(lambda: delegate.delete_many(where=expired))
                rows: Sequence[SessionRecord] = ()
            else:
                rows = await delegate.find_many(where=expired)
                removed = 0
                for chunk in _chunks([row.sid for row in rows]):
                    where = {"sid": {"in": list(chunk)}, **expired}
                    removed += await self._write(partial(delegate.delete_many, where=where))
        if removed:
            self._log.info(f"prune: removed {removed} expired session(s)")
        await self._dispose_rows(rows, "prune")
        return removed

    # -- internals ---------------------------------------------------------

    async def _ready(self) -> SessionDelegate:
        """Connect the client on first use (once) and start the automatic prune."""
        if not self._prisma.is_connected():
            async with self._connect_lock:
                if not self._prisma.is_connected():
                    await self._prisma.connect()
                    self._owns_connection = True
        if self._interval_autostart:
            await self.start_interval()
        return self._delegate

    def _expires_at(
        self, session: Mapping[str, Any], sid: str, now: datetime | None = None
    ) -> datetime:
        return compute_expires_at(
            session,
            sid,
            now=self.now() if now is None else now,
            ttl=self._ttl,
            round_to=self._round_to,
        )

    def _encode(self, sid: str, session: Mapping[str, Any], operation: str) -> str:
        if not isinstance(session, Mapping):
            raise TypeError(f"a session must be a mapping, got {type(session).__name__}")
        try:
            text = self._serializer.dumps(session)
        except Exception as error:
            raise SerializationError(
                f"{operation} {redact_sid(sid)}: the session cannot be serialized: {error}"
            ) from error
        if not isinstance(text, str):
            raise SerializationError(
                f"{operation} {redact_sid(sid)}: the serializer returned "
                f"{type(text).__name__}, not str"
            )
        return text

    def _decode(self, row: SessionRecord, operation: str) -> SessionData | None:
        try:
            session = self._serializer.loads(row.data)
        except Exception as error:  # noqa: BLE001 - a bad row must not break the app
            self._log.error(
                f"{operation} {redact_sid(row.sid)}: stored data is unreadable "
                f"({type(error).__name__}); treated as no session"
            )
            return None
        if not isinstance(session, Mapping):
            self._log.error(
                f"{operation} {redact_sid(row.sid)}: stored data is a "
                f"{type(session).__name__}, not an object; treated as no session"
            )
            return None
        return dict(session)

    async def _upsert(
        self, delegate: SessionDelegate, sid: str, text: str, expires_at: datetime
    ) -> None:
        create = {"id": self._record_id(sid), "sid": sid, "data": text, "expiresAt": expires_at}
        update = {"data": text, "expiresAt": expires_at}
        # Where the database has no native upsert (MySQL), two first writes of
        # one sid can both try the INSERT: the loser's next try finds the row
        # (or, if a destroy came between, inserts it).
        await self._write(
            lambda: delegate.upsert(where={"sid": sid}, data={"create": create, "update": update}),
            retry_on=_RETRY_UPSERT,
        )

    @staticmethod
    async def _write(
        statement: Callable[[], Awaitable[_T]], *, retry_on: frozenset[str] = _RETRY_DEADLOCK
    ) -> _T:
        """Run one write, again if the database rolled it back for a reason
        that a new try can clear: on MySQL, Prisma runs upserts and bulk
        writes as small transactions, and InnoDB may pick one of two racing
        ones as a deadlock victim (P2034). A rolled-back try changed nothing."""
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                return await statement()
            except Exception as error:
                if prisma_error_code(error) not in retry_on or attempt == _WRITE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def _call_dispose(self, sid: str, session: SessionData) -> None:
        if self._dispose is None:
            return
        try:
            outcome = self._dispose(sid, session)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as error:  # noqa: BLE001 - the row is gone already; report, go on
            self._log.error(f"dispose {redact_sid(sid)}: the dispose callback raised {error!r}")

    async def _dispose_rows(self, rows: Iterable[SessionRecord], operation: str) -> None:
        for row in rows:
            session = self._decode(row, operation)
            if session is not None:
                await self._call_dispose(row.sid, session)

    def _log_interval_error(self, error: Exception) -> None:
        self._log.error(f"prune (interval): {type(error).__name__}: {error}")

    @asynccontextmanager
    async def _database(self, operation: str) -> AsyncIterator[None]:
        """Hold one of the store's query slots, and turn "no such table/column"
        into an error that says what to do."""
        try:
            async with self._query_slots:
                yield
        except Exception as error:
            code = prisma_error_code(error)
            if code in (TABLE_MISSING, COLUMN_MISSING):
                raise ConfigurationError(
                    f"{operation}: the table of the {self._model_name!r} model is missing or "
                    f"out of date ({error}); create it with `prisma db push` or "
                    "`prisma migrate deploy` (or the DDL in the README)"
                ) from error
            raise

    @staticmethod
    @asynccontextmanager
    async def _serialized(lock: KeyedLock | None, sid: str) -> AsyncIterator[None]:
        if lock is None:
            yield
        else:
            async with lock.hold(sid):
                yield

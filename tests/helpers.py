"""Test doubles around the REAL Prisma client: they count, delay or fail
queries, and otherwise pass every call through to the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

QUERY_METHODS = ("find_unique", "find_many", "count", "upsert", "update_many", "delete_many")


class FakeClock:
    """An injectable clock: time moves only when the test says so."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class CountingDelegate:
    """A model delegate that records each query (and can delay or fail some)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[str] = []
        self.active = 0
        self.max_active = 0
        self.delay = 0.0
        self.fail_next: dict[str, BaseException] = {}
        for name in QUERY_METHODS:
            setattr(self, name, self._wrap(name))

    def _wrap(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            error = self.fail_next.pop(name, None)
            if error is not None:
                raise error
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            try:
                if self.delay:
                    await asyncio.sleep(self.delay)
                return await method(*args, **kwargs)
            finally:
                self.active -= 1

        return call

    def reset(self) -> None:
        self.calls.clear()


class CountingClient:
    """A connected Prisma client whose session delegate counts queries.

    ``attribute`` exposes the delegate under another name, like a schema whose
    session model is not called Session.
    """

    def __init__(self, client: Any, attribute: str = "session") -> None:
        self._client = client
        self.delegate = CountingDelegate(client.session)
        setattr(self, attribute, self.delegate)
        self.connects = 0
        self.disconnects = 0

    def is_connected(self) -> bool:
        return bool(self._client.is_connected())

    async def connect(self) -> None:
        self.connects += 1
        await self._client.connect()

    async def disconnect(self) -> None:
        self.disconnects += 1
        await self._client.disconnect()

    @property
    def calls(self) -> list[str]:
        return self.delegate.calls


class RecordingLogger:
    """Collects what the store logs, by level."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str]] = []

    def error(self, message: str) -> None:
        self.records.append(("error", message))

    def warning(self, message: str) -> None:
        self.records.append(("warning", message))

    def info(self, message: str) -> None:
        self.records.append(("info", message))

    def messages(self, level: str) -> list[str]:
        return [message for recorded, message in self.records if recorded == level]

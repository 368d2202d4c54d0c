"""The automatic prune: a background task that runs ``prune()`` periodically."""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable

__all__ = ["JITTER", "IntervalErrorHandler", "PruneInterval"]

IntervalErrorHandler = Callable[[Exception], object]
"""Called with each exception a scheduled prune raised; may be async."""

JITTER = 0.1
"""Each wait is the period times a random factor in [1 - JITTER, 1 + JITTER],
so that app instances started together do not prune in lockstep."""


class PruneInterval:
    """Runs ``prune`` every ``period`` seconds (with jitter) until stopped.

    A failing prune never ends the task and never becomes an unhandled task
    exception: the error goes to ``on_error``; an error raised by
    ``on_error`` itself goes to ``report``.
    """

    def __init__(
        self,
        *,
        period: float,
        prune: Callable[[], Awaitable[object]],
        on_error: IntervalErrorHandler,
        report: Callable[[str], None],
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._period = period
        self._prune = prune
        self._on_error = on_error
        self._report = report
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the task in the running event loop (no-op if it runs already)."""
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name="prisma-session-store prune interval"
        )

    async def stop(self) -> None:
        """Cancel the task and wait until it has finished (no-op if stopped)."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        task.cancel()
        if task is asyncio.current_task():
            return  # stopped from its own error handler: it ends when that returns
        # Waiting here means no prune is still running once stop() returns.
        await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._sleep(self._period * random.uniform(1 - JITTER, 1 + JITTER))
            try:
                await self._prune()
            except Exception as error:  # noqa: BLE001 - every failure goes to the handler
                await self._handle(error)

    async def _handle(self, error: Exception) -> None:
        try:
            outcome = self._on_error(error)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as handler_error:  # noqa: BLE001
            self._report(f"the interval's error handler raised {handler_error!r} for {error!r}")

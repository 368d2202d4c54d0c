"""Timing helpers: rounds of calls, medians, ratios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence


async def rate(call: Callable[[int], Awaitable[object]], count: int) -> float:
    """Calls per second of ``count`` sequential awaits of ``call(i)``."""
    start = time.perf_counter()
    for i in range(count):
        await call(i)
    return count / (time.perf_counter() - start)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Per-round ratios (both lists are in round order)."""
    return [a / b for a, b in zip(numerators, denominators, strict=True) if b]


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}x"


def fmt_ratios(values: Sequence[float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)

"""The store's logger: the ``logger`` and ``logger_level`` options."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal, Protocol, TypeAlias

__all__ = ["LEVELS", "Level", "LoggerLike", "StoreLogger", "redact_sid"]

Level: TypeAlias = Literal["error", "warning", "info"]
LEVELS: frozenset[str] = frozenset({"error", "warning", "info"})

DEFAULT_LOGGER = logging.getLogger("prisma_session_store")


class LoggerLike(Protocol):
    """A ``logging.Logger``, or any object with some of these methods."""

    def error(self, msg: str, /) -> object: ...

    def warning(self, msg: str, /) -> object: ...

    def info(self, msg: str, /) -> object: ...


def redact_sid(sid: str) -> str:
    """The first characters of a session id: enough to correlate log lines,
    too few to hijack the session."""
    return f"{sid[:6]}..." if len(sid) > 6 else "..."


def parse_levels(levels: str | Iterable[str]) -> frozenset[str]:
    """Validate the ``logger_level`` option: one level name or several."""
    names = [levels] if isinstance(levels, str) else list(levels)
    for name in names:
        if not isinstance(name, str) or name not in LEVELS:
            raise ValueError(
                f"logger_level must be one or more of 'error', 'warning', 'info'; got {name!r}"
            )
    return frozenset(names)


class StoreLogger:
    """Emits only the enabled levels, to whichever of the methods the logger has.

    Like the Node package, there is no severity order: ``logger_level``
    lists exactly the levels to emit.
    """

    def __init__(self, logger: LoggerLike | Literal[False] | None, levels: frozenset[str]) -> None:
        self._logger = None if logger is False else (logger or DEFAULT_LOGGER)
        self._levels = levels

    def _emit(self, level: Level, message: str) -> None:
        if self._logger is None or level not in self._levels:
            return
        method = getattr(self._logger, level, None)
        if callable(method):
            method(message)

    def error(self, message: str) -> None:
        self._emit("error", message)

    def warning(self, message: str) -> None:
        self._emit("warning", message)

    def info(self, message: str) -> None:
        self._emit("info", message)

"""When a stored session expires: the Node package's rules, in seconds.

``expiresAt`` is "now" (rounded down to ``round_ttl`` when set) plus a time
to live, taken from, in this order:

1. the ``ttl`` option: seconds, a ``timedelta``, or a callable
   ``(session, sid)`` returning either;
2. the session's express-session cookie: ``cookie.expires`` (an ISO 8601
   string or a datetime), else ``cookie.originalMaxAge`` or ``cookie.maxAge``
   (milliseconds, as express-session stores them);
3. one day.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeAlias

__all__ = [
    "DEFAULT_TTL",
    "Duration",
    "Ttl",
    "compute_expires_at",
    "parse_cookie_expires",
    "to_timedelta",
]

Duration: TypeAlias = int | float | timedelta
"""A length of time: seconds (int or float) or a ``datetime.timedelta``."""

Ttl: TypeAlias = Duration | Callable[[Mapping[str, Any], str], Duration]
"""The ``ttl`` option: a duration, or a callable ``(session, sid)`` returning one."""

DEFAULT_TTL = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_timedelta(value: object, name: str, *, allow_zero: bool = False) -> timedelta:
    """Validate a duration option (seconds or timedelta) and return it as a timedelta.

    Raises ``TypeError`` for anything that is not a number or a timedelta (bool
    included) and ``ValueError`` for NaN, infinity and durations that are not
    positive (or negative ones, with ``allow_zero``).
    """
    if isinstance(value, timedelta):
        delta = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number of seconds, got {value!r}")
        delta = timedelta(seconds=value)
    else:
        raise TypeError(
            f"{name} must be a number of seconds or a datetime.timedelta, "
            f"got {type(value).__name__}"
        )
    if delta < timedelta(0) or (delta == timedelta(0) and not allow_zero):
        raise ValueError(
            f"{name} must be {'zero or ' if allow_zero else ''}positive, got {value!r}"
        )
    return delta


def parse_cookie_expires(value: object) -> datetime | None:
    """``cookie.expires`` as an aware datetime, or None when absent or unreadable."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _milliseconds(value: object) -> timedelta | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return timedelta(milliseconds=value)
    return None


def _ttl_from_cookie(session: Mapping[str, Any], now: datetime) -> timedelta | None:
    cookie = session.get("cookie")
    if not isinstance(cookie, Mapping):
        return None
    expires = parse_cookie_expires(cookie.get("expires"))
    if expires is not None:
        return expires - now
    for key in ("originalMaxAge", "maxAge"):
        ttl = _milliseconds(cookie.get(key))
        if ttl is not None:
            return ttl
    return None


def _round_down(now: datetime, step: timedelta) -> datetime:
    return now - ((now - _EPOCH) % step)


def compute_expires_at(
    session: Mapping[str, Any],
    sid: str,
    *,
    now: datetime,
    ttl: Ttl | None,
    round_to: timedelta | None,
) -> datetime:
    """The ``expiresAt`` of a session written at ``now`` (see the module docstring)."""
    if ttl is None:
        from_cookie = _ttl_from_cookie(session, now)
        lifetime = DEFAULT_TTL if from_cookie is None else from_cookie
    elif callable(ttl):
        lifetime = to_timedelta(ttl(session, sid), "the value returned by ttl()")
    else:
        lifetime = to_timedelta(ttl, "ttl")
    base = _round_down(now, round_to) if round_to is not None else now
    return base + lifetime

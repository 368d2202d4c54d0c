"""The expiry rules (pure logic, no database)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from prisma_session_store._expiry import (
    compute_expires_at,
    parse_cookie_expires,
    to_timedelta,
)

NOW = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


def expires(session: dict[str, Any], **options: Any) -> datetime:
    options.setdefault("ttl", None)
    options.setdefault("round_to", None)
    return compute_expires_at(session, "sid", now=NOW, **options)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, timedelta(seconds=1)),
        (0.25, timedelta(milliseconds=250)),
        (timedelta(minutes=3), timedelta(minutes=3)),
    ],
)
def test_durations(value: object, expected: timedelta) -> None:
    assert to_timedelta(value, "ttl") == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (True, TypeError),
        ("1", TypeError),
        (None, TypeError),
        (float("inf"), ValueError),
        (float("nan"), ValueError),
        (-1, ValueError),
        (0, ValueError),
        (timedelta(0), ValueError),
    ],
)
def test_bad_durations(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="ttl"):
        to_timedelta(value, "ttl")


def test_zero_allowed_when_asked() -> None:
    assert to_timedelta(0, "x", allow_zero=True) == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-02T03:04:05.678Z", NOW),
        ("2030-01-02T03:04:05.678+00:00", NOW),
        ("2030-01-02T04:04:05.678+01:00", NOW),
        ("2030-01-02T03:04:05.678", NOW),  # naive: UTC
        (NOW, NOW),
        (NOW.replace(tzinfo=None), NOW),
        ("not a date", None),
        (None, None),
        (1234, None),
    ],
)
def test_cookie_expires(text: object, expected: datetime | None) -> None:
    assert parse_cookie_expires(text) == expected


def test_cookie_rules_in_order() -> None:
    later = NOW + timedelta(hours=1)
    cookie: dict[str, Any] = {"expires": later.isoformat(), "originalMaxAge": 5000, "maxAge": 9000}
    assert expires({"cookie": cookie}) == later
    del cookie["expires"]
    assert expires({"cookie": cookie}) == NOW + timedelta(seconds=5)
    del cookie["originalMaxAge"]
    assert expires({"cookie": cookie}) == NOW + timedelta(seconds=9)
    del cookie["maxAge"]
    assert expires({"cookie": cookie}) == NOW + timedelta(days=1)
    assert expires({"cookie": "not a mapping"}) == NOW + timedelta(days=1)
    assert expires({}) == NOW + timedelta(days=1)


def test_cookie_expiring_now_is_expired_now() -> None:
    assert expires({"cookie": {"expires": NOW.isoformat()}}) == NOW


def test_unreadable_expires_falls_back_to_max_age() -> None:
    assert expires({"cookie": {"expires": "garbage", "originalMaxAge": 1000}}) == NOW + timedelta(
        seconds=1
    )


def test_boolean_max_age_is_not_a_number() -> None:
    assert expires({"cookie": {"originalMaxAge": True}}) == NOW + timedelta(days=1)


def test_rounding_rounds_now_down_not_the_ttl() -> None:
    assert expires({}, ttl=10, round_to=timedelta(seconds=1)) == NOW.replace(
        microsecond=0
    ) + timedelta(seconds=10)
    assert expires({}, ttl=10, round_to=timedelta(hours=1)) == NOW.replace(
        minute=0, second=0, microsecond=0
    ) + timedelta(seconds=10)


def test_ttl_callable_gets_session_and_sid() -> None:
    calls: list[tuple[Any, str]] = []

    def ttl(session: Any, sid: str) -> timedelta:
        calls.append((session, sid))
        return timedelta(minutes=1)

    assert expires({"a": 1}, ttl=ttl) == NOW + timedelta(minutes=1)
    assert calls == [({"a": 1}, "sid")]


def test_ttl_callable_result_is_validated() -> None:
    with pytest.raises(ValueError, match=r"ttl\(\)"):
        expires({}, ttl=lambda session, sid: -1)

"""The session cookie on the wire: reading it from requests, writing Set-Cookie."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Literal

__all__ = ["CookieSettings", "cookie_values"]

SameSite = Literal["lax", "strict", "none"]


def cookie_values(headers: Iterable[tuple[bytes, bytes]], name: str) -> list[str]:
    """Every value of the cookie ``name``, in the order the client sent them.

    Browsers send one cookie per name and path, so several values can be
    legitimate; callers try them in order.
    """
    values = []
    for key, raw in headers:
        if key != b"cookie":
            continue
        for pair in raw.decode("latin-1").split(";"):
            cookie_name, sep, value = pair.strip().partition("=")
            if sep and cookie_name.strip() == name:
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                values.append(value)
    return values


@dataclass(frozen=True)
class CookieSettings:
    """The attributes of the session cookie (Starlette's parameter names)."""

    name: str
    max_age: int | None  # seconds; None: a browser-session cookie
    path: str
    same_site: SameSite
    https_only: bool
    domain: str | None

    def _attributes(self) -> list[str]:
        attributes = [f"Path={self.path}"]
        if self.domain:
            attributes.append(f"Domain={self.domain}")
        attributes.append("HttpOnly")
        attributes.append(f"SameSite={self.same_site.capitalize()}")
        if self.https_only:
            attributes.append("Secure")
        return attributes

    def set_cookie(self, value: str, *, now: float) -> str:
        """A Set-Cookie value that stores ``value`` for ``max_age`` seconds."""
        parts = [f"{self.name}={value}"]
        if self.max_age is not None:
            parts.append(f"Max-Age={self.max_age}")
            parts.append(f"Expires={formatdate(now + self.max_age, usegmt=True)}")
        return "; ".join(parts + self._attributes())

    def expire_cookie(self) -> str:
        """A Set-Cookie value that makes the browser drop the cookie."""
        parts = [f"{self.name}=", "Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
        return "; ".join(parts + self._attributes())

"""The session-id cookie value: signing, verifying, and the ids themselves.

Two formats:

* ``itsdangerous`` (default): ``<sid>.<signature>``, HMAC-SHA256 through
  ``itsdangerous.Signer`` with a salt of its own, so a key shared with other
  uses of itsdangerous cannot forge session cookies.
* ``express``: ``s:<sid>.<signature>``, URL-encoded, signed the way
  express-session's ``cookie-signature`` does (HMAC-SHA256, base64 without
  padding), so one cookie works for an Express app and a Python app.

Keys are given newest first. The newest signs; every key verifies, and a
cookie that only an older key verifies is reported so that it can be
re-signed with the newest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from typing import Literal, NamedTuple, Protocol, TypeAlias
from urllib.parse import quote, unquote

from itsdangerous import BadSignature, Signer

__all__ = [
    "MAX_COOKIE_VALUE_LENGTH",
    "CookieFormat",
    "CookieSigner",
    "ExpressSigner",
    "ItsdangerousSigner",
    "Verified",
    "make_signer",
]

CookieFormat: TypeAlias = Literal["itsdangerous", "express"]

SALT = "prisma-session-store.session-id"

# Ids are server-generated base64url text; anything else presented as an id
# is malformed whatever its signature.
_SID = re.compile(r"[A-Za-z0-9_-]{22,128}")

# Longer cookie values are dropped unread: no id of ours is that long.
MAX_COOKIE_VALUE_LENGTH = 512


class Verified(NamedTuple):
    sid: str
    signed_with_newest_key: bool


class CookieSigner(Protocol):
    def new_sid(self) -> str:
        """A fresh random session id."""

    def sign(self, sid: str) -> str:
        """The cookie value for ``sid``, signed with the newest key."""

    def verify(self, value: str) -> Verified | None:
        """The session id in a cookie value, or None if it is not one of ours."""


def _keys(secret_key: str | Sequence[str]) -> list[str]:
    keys = [secret_key] if isinstance(secret_key, str) else list(secret_key)
    if not keys:
        raise ValueError("secret_key must not be empty")
    for key in keys:
        if not isinstance(key, str) or not key:
            raise TypeError("secret_key must be a non-empty str or a list of them (newest first)")
    return keys


class ItsdangerousSigner:
    """``<sid>.<signature>`` with itsdangerous (the default format)."""

    def __init__(self, secret_key: str | Sequence[str]) -> None:
        keys = _keys(secret_key)
        # itsdangerous wants keys oldest first and signs with the last one.
        self._all = Signer(list(reversed(keys)), salt=SALT, digest_method=hashlib.sha256)
        self._newest = Signer(keys[0], salt=SALT, digest_method=hashlib.sha256)
        self._one_key = len(keys) == 1

    def new_sid(self) -> str:
        return secrets.token_urlsafe(32)  # 256 bits

    def sign(self, sid: str) -> str:
        return self._newest.sign(sid).decode("ascii")

    def verify(self, value: str) -> Verified | None:
        if len(value) > MAX_COOKIE_VALUE_LENGTH or not value.isascii():
            return None
        try:
            sid = self._all.unsign(value).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None
        if not _SID.fullmatch(sid):
            return None
        # With one key, the key that verified is the newest: no second HMAC.
        return Verified(sid, self._one_key or self._newest.validate(value))


class ExpressSigner:
    """``s:<sid>.<signature>``, URL-encoded, as express-session signs its cookie."""

    def __init__(self, secret_key: str | Sequence[str]) -> None:
        self._keys = [key.encode() for key in _keys(secret_key)]

    def new_sid(self) -> str:
        # express-session's uid-safe(24): 32 characters of base64url.
        return secrets.token_urlsafe(24)

    @staticmethod
    def _signature(sid: str, key: bytes) -> str:
        digest = hmac.new(key, sid.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii").rstrip("=")

    def sign(self, sid: str) -> str:
        return quote(f"s:{sid}.{self._signature(sid, self._keys[0])}", safe="")

    def verify(self, value: str) -> Verified | None:
        if len(value) > MAX_COOKIE_VALUE_LENGTH:
            return None
        raw = unquote(value) if "%" in value else value
        if not raw.isascii() or not raw.startswith("s:") or "." not in raw:
            return None
        sid, _, signature = raw[2:].rpartition(".")
        if not _SID.fullmatch(sid):
            return None
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(signature, self._signature(sid, key)):
                return Verified(sid, index == 0)
        return None


def make_signer(cookie_format: CookieFormat, secret_key: str | Sequence[str]) -> CookieSigner:
    if cookie_format == "itsdangerous":
        return ItsdangerousSigner(secret_key)
    if cookie_format == "express":
        return ExpressSigner(secret_key)
    raise ValueError(f"cookie_format must be 'itsdangerous' or 'express', got {cookie_format!r}")

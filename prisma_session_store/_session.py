"""One request's session: loading it from the cookie, saving it once at the
end, and the regenerate/destroy helpers."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import HTTPConnection

from ._cookies import CookieSettings
from ._errors import ConfigurationError
from ._log import redact_sid
from ._signing import CookieSigner
from ._store import PrismaSessionStore, SessionData

__all__ = ["RequestSession", "Session", "destroy_session", "regenerate_session"]

logger = logging.getLogger("prisma_session_store")

# express-session keeps its cookie settings under this key of the stored
# session; the middleware does the same, so the key is not the app's.
COOKIE_KEY = "cookie"

TOUCH_FRACTION = 10
"""By default an unmodified session is touched once it has used a tenth of its lifetime."""

MAX_LOOKUPS = 3
"""At most this many signed session cookies of one request are looked up."""


def _snapshot_of(value: Any) -> Any:
    """A deep copy, to compare with at the end of the request. Sessions are
    JSON-shaped (dicts, lists, scalars), which this copies several times
    faster than ``copy.deepcopy``; anything else is deep-copied."""
    kind = type(value)
    if kind is dict:
        return {key: _snapshot_of(item) for key, item in value.items()}
    if kind is list:
        return [_snapshot_of(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


class Session(dict[str, Any]):
    """``request.session``: a dict that records whether the app used it.

    Changes are found at the end of the request by comparing with the
    loaded data, so nested changes (``session["cart"].append(x)``) count.
    The key ``"cookie"`` is reserved (express-session stores its cookie there).
    """

    def __init__(self, data: dict[str, Any], owner: RequestSession) -> None:
        super().__init__(data)
        self.accessed = False
        self._owner = owner

    def mark_accessed(self) -> None:
        """Starlette's ``request.session`` calls this on every access."""
        self.accessed = True

    @staticmethod
    def _check_key(key: object) -> None:
        if key == COOKIE_KEY:
            raise KeyError(
                "'cookie' is reserved in the session (express-session stores its cookie there)"
            )

    def __setitem__(self, key: str, value: Any) -> None:
        self._check_key(key)
        self.accessed = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.accessed = True
        super().__delitem__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._check_key(key)
        self.accessed = True
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key in dict(*args, **kwargs):
            self._check_key(key)
        self.accessed = True
        super().update(*args, **kwargs)

    def __ior__(self, other: Any, /) -> Session:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        self.accessed = True
        super().clear()

    def pop(self, key: str, *default: Any) -> Any:
        self.accessed = True
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self.accessed = True
        return super().popitem()


@dataclass(frozen=True)
class SessionPolicy:
    """The middleware options that decide when a session is written."""

    cookie: CookieSettings
    rolling: bool
    save_uninitialized: bool
    touch_after: timedelta | None


class RequestSession:
    """The session of one request, from its cookie to its last write."""

    def __init__(
        self,
        *,
        store: PrismaSessionStore,
        signer: CookieSigner,
        policy: SessionPolicy,
        presented: list[str],
    ) -> None:
        self._store = store
        self._signer = signer
        self._policy = policy
        self._presented = presented
        self.sid: str | None = None  # the id of a stored session; None until one is saved
        self._expires_at: datetime | None = None
        self._resign = False
        self._snapshot: dict[str, Any] = {}
        self._abandoned = False
        self.queried = False
        self.session = Session({}, self)

    @property
    def read(self) -> bool:
        """Whether the response depends on the request's cookie."""
        return self.queried or self.session.accessed

    async def load(self) -> Session:
        """Find the session the cookie names; a fresh empty one otherwise.

        Only an id that carries our signature is looked up (one query); an id
        the store does not know is never adopted. Store failures propagate.
        """
        looked_up: set[str] = set()
        for value in self._presented:
            verified = self._signer.verify(value)
            if verified is None or verified.sid in looked_up:
                continue
            # Browsers send one cookie per domain and path, so a stale or
            # planted one can come first: a few signed ids are tried in order.
            if len(looked_up) == MAX_LOOKUPS:
                break
            looked_up.add(verified.sid)
            self.queried = True
            stored = await self._store.load(verified.sid)
            if stored is not None:
                data = {k: v for k, v in stored.session.items() if k != COOKIE_KEY}
                self.sid = verified.sid
                self._expires_at = stored.expires_at
                self._resign = not verified.signed_with_newest_key
                self._snapshot = _snapshot_of(data)
                self.session = Session(data, self)
                break
        return self.session

    async def regenerate(self) -> None:
        """Give the session a new id, keep its data, delete the old row now."""
        if self.sid is not None:
            await self._store.destroy(self.sid)
        self.sid = None
        self.session.accessed = True

    async def destroy(self) -> None:
        """End the session: delete its row now and empty it."""
        if self.sid is not None:
            await self._store.destroy(self.sid)
        self.sid = None
        dict.clear(self.session)
        self._snapshot = {}
        self.session.accessed = True

    def abandon(self) -> None:
        """The response is a server error: write nothing."""
        self._abandoned = True

    def _data(self) -> dict[str, Any]:
        return dict.copy(self.session)

    def _payload(self, data: dict[str, Any]) -> SessionData:
        """What is stored: the data under express-session's cookie object."""
        settings = self._policy.cookie
        now = self._store.now()
        cookie: dict[str, Any] = {"originalMaxAge": None, "expires": None}
        if settings.max_age is not None:
            expires = now + timedelta(seconds=settings.max_age)
            cookie["originalMaxAge"] = settings.max_age * 1000
            cookie["expires"] = expires.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if settings.https_only:
            cookie["secure"] = True
        cookie["httpOnly"] = True
        if settings.domain:
            cookie["domain"] = settings.domain
        cookie["path"] = settings.path
        cookie["sameSite"] = settings.same_site
        return {COOKIE_KEY: cookie, **data}

    def _touch_due(self, sid: str, expires_at: datetime, payload: SessionData) -> bool:
        """Touch only when it moves the expiry forward by ``touch_after``
        (default a tenth of the lifetime): not a write per request."""
        fresh = self._store.expiry_for(sid, payload)
        threshold = self._policy.touch_after or (fresh - self._store.now()) / TOUCH_FRACTION
        return fresh - expires_at >= threshold

    async def commit(self) -> str | None:
        """Save what changed, when the response starts.

        Returns the Set-Cookie value to send, if any.
        """
        if self._abandoned:
            return None
        data = self._data()
        cookie = self._policy.cookie
        # With save_uninitialized an empty session is kept, unless the app
        # emptied one that had data.
        keep_empty = self._policy.save_uninitialized and not self._snapshot
        if not data and not keep_empty:
            if self.sid is not None:  # emptied: the session ends
                await self._store.destroy(self.sid)
                self.sid = None
            # A cookie that named no session (any more) is cleared too.
            return cookie.expire_cookie() if self._presented else None

        payload = self._payload(data)
        if self.sid is None:
            self.sid = self._signer.new_sid()
            await self._store.set(self.sid, payload)
        elif data != self._snapshot:
            if not await self._replace(self.sid, payload):
                return cookie.expire_cookie()
        elif self._expires_at is not None and self._touch_due(self.sid, self._expires_at, payload):
            await self._store.touch(self.sid, payload)
        elif not (self._policy.rolling or self._resign):
            return None
        self._snapshot = _snapshot_of(data)
        return cookie.set_cookie(self._signer.sign(self.sid), now=self._store.now().timestamp())

    async def commit_late(self) -> None:
        """Save changes made after the response started (a streaming body,
        a background task). No cookie can be sent any more, so a session
        that has none yet is not created."""
        if self._abandoned:
            return
        data = self._data()
        if self.sid is None:
            if data:
                logger.warning(
                    "a session was started after the response had begun; it was not saved"
                )
            return
        if data == self._snapshot:
            return  # unchanged since commit(), which saved it
        if not data:
            await self._store.destroy(self.sid)
            self.sid = None
        elif await self._replace(self.sid, self._payload(data)):
            self._snapshot = _snapshot_of(data)

    async def _replace(self, sid: str, payload: SessionData) -> bool:
        """Save the loaded session over its row, unless another request ended
        it meanwhile (a logout): then it stays ended, and the changes of this
        request are dropped rather than bringing it back."""
        if await self._store.replace(sid, payload):
            return True
        logger.info(
            "session %s was ended by another request while this one ran; its changes were "
            "not saved",
            redact_sid(sid),
        )
        self.sid = None
        return False

    def describe(self) -> str:
        """The session id's first characters, for log lines."""
        return redact_sid(self.sid) if self.sid else "(new session)"


def _request_session(connection: HTTPConnection) -> RequestSession:
    session = connection.scope.get("session")
    if not isinstance(session, Session):
        raise ConfigurationError(
            "prisma_session_store.SessionMiddleware is not installed on this application"
        )
    return session._owner


async def regenerate_session(connection: HTTPConnection) -> None:
    """Give the request's session a new id, keeping its data; the old row is
    deleted now. Call it at login, against session fixation::

        await regenerate_session(request)
        request.session["user_id"] = user.id
    """
    await _request_session(connection).regenerate()


async def destroy_session(connection: HTTPConnection) -> None:
    """End the request's session now (logout): its row is deleted, its data
    emptied and the cookie expired with the response. Writing to
    ``request.session`` afterwards starts a new session."""
    await _request_session(connection).destroy()

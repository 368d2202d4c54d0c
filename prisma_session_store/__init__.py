"""Server-side sessions on Prisma Client Python for Starlette and FastAPI.

A port of the Node package ``@quixo3/prisma-session-store``: the same Session
table, an asyncio store, and an ASGI middleware that keeps only the signed
session id in the cookie.
"""

from ._client import PrismaClient, SessionDelegate, SessionRecord
from ._errors import ConfigurationError, PrismaSessionStoreError, SerializationError
from ._expiry import Duration, Ttl
from ._interval import IntervalErrorHandler
from ._log import LoggerLike
from ._middleware import SessionMiddleware
from ._schema import bundled_schema
from ._serializer import CompactJSONSerializer, Serializer
from ._session import Session, destroy_session, regenerate_session
from ._signing import CookieFormat
from ._store import DisposeCallback, PrismaSessionStore, SessionData, StoredSession

__version__ = "0.1.0"

__all__ = [
    "CompactJSONSerializer",
    "ConfigurationError",
    "CookieFormat",
    "DisposeCallback",
    "Duration",
    "IntervalErrorHandler",
    "LoggerLike",
    "PrismaClient",
    "PrismaSessionStore",
    "PrismaSessionStoreError",
    "SerializationError",
    "Serializer",
    "Session",
    "SessionData",
    "SessionDelegate",
    "SessionMiddleware",
    "SessionRecord",
    "StoredSession",
    "Ttl",
    "__version__",
    "bundled_schema",
    "destroy_session",
    "regenerate_session",
]

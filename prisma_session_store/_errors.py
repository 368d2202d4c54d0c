"""Errors raised by prisma-session-store.

The hierarchy::

    PrismaSessionStoreError        base of every error this library raises itself
     ├── ConfigurationError        the store cannot work with this client or database;
     │                             the message says what to change
     └── SerializationError        the session data cannot be serialized; nothing was written

Database failures are not wrapped: the Prisma client's own exceptions
(``prisma.errors.PrismaError`` and the engine's connection errors) reach the
caller unchanged, from the call that failed.
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "PrismaSessionStoreError", "SerializationError"]


class PrismaSessionStoreError(Exception):
    """Base class of the errors this library raises."""


class ConfigurationError(PrismaSessionStoreError):
    """The Prisma client, schema or database does not fit the store."""


class SerializationError(PrismaSessionStoreError, ValueError):
    """The serializer could not encode the session; nothing was written."""

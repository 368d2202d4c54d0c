"""How a session dict becomes the text of the ``data`` column and back."""

from __future__ import annotations

import json
from typing import Any, Protocol

__all__ = ["JSON_SERIALIZER", "CompactJSONSerializer", "Serializer"]


class Serializer(Protocol):
    """Anything with ``dumps`` and ``loads``, such as the ``json`` module."""

    def dumps(self, obj: Any, /) -> str: ...

    def loads(self, s: str, /) -> Any: ...


class CompactJSONSerializer:
    """JSON without spaces and without escaping non-ASCII text.

    The same text ``JSON.stringify`` writes, so rows stay readable (and
    byte-for-byte comparable) by the Node package. NaN and infinities are
    refused: JavaScript's JSON cannot read them.
    """

    def dumps(self, obj: Any, /) -> str:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def loads(self, s: str, /) -> Any:
        return json.loads(s)


JSON_SERIALIZER = CompactJSONSerializer()

"""The bundled ``schema.prisma``: the Session model, to copy into your schema."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["bundled_schema"]

_NAME = "schema.prisma"


def bundled_schema() -> str:
    """The text of the ``schema.prisma`` this package ships (SQLite, asyncio client).

    The wheel installs it as ``prisma_session_store/schema.prisma``. Copy its
    ``Session`` model into your own schema; on MySQL/MariaDB declare
    ``data String @db.MediumText`` (see the README)::

        python -c "import prisma_session_store as p; print(p.bundled_schema())"
    """
    packaged = resources.files("prisma_session_store").joinpath(_NAME)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # A source checkout (editable install): the schema sits at the project's
    # top level, beside the package directory.
    return (Path(__file__).resolve().parent.parent / _NAME).read_text(encoding="utf-8")

"""Server-side sessions on Prisma Client Python for Starlette and FastAPI."""

__version__ = "0.1.0"

__all__ = ["__version__"]

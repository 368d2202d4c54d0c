"""The command line: what a cron job or a serverless deployment runs instead
of an in-process prune interval.

    prisma-session-store prune          # delete expired sessions, print how many
    prisma-session-store count          # print the number of live sessions
    prisma-session-store ids            # print the ids of live sessions, one per line
    prisma-session-store clear [--yes]  # delete every session (asks first)

It uses your generated Prisma client (``--client``, default ``prisma``) and
its usual configuration (``DATABASE_URL``, ``.env``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TextIO

from . import __version__
from ._errors import ConfigurationError
from ._store import PrismaSessionStore

__all__ = ["EXIT_CODES", "main", "main_entry"]

EXIT_CODES = {
    "ok": 0,
    "error": 1,  # the database refused the operation
    "usage": 2,  # bad arguments (argparse's own code)
    "no_client": 3,  # the Prisma client is not generated / not importable
    "misconfigured": 4,  # no session model, or its table is missing
    "unreachable": 5,  # the database (or the query engine) cannot be reached
    "aborted": 6,  # clear was not confirmed
}


class CommandError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prisma-session-store",
        description="Maintain the sessions of prisma-session-store from the command line.",
        epilog="Exit codes: "
        + ", ".join(f"{code} {name}" for name, code in EXIT_CODES.items())
        + ".",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--client",
        default="prisma",
        metavar="MODULE",
        help="the generated Prisma client package (default: prisma)",
    )
    parser.add_argument(
        "--model",
        default="session",
        metavar="NAME",
        help="the client attribute of the session model, like session_model_name "
        "(default: session)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the database (default: 10)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("prune", help="delete expired sessions and print how many")
    commands.add_parser("count", help="print the number of live sessions")
    commands.add_parser("ids", help="print the ids of live sessions, one per line")
    clear = commands.add_parser("clear", help="delete every session, live or expired")
    clear.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def _load_client(module_name: str, connect_timeout: float) -> Any:
    try:
        module = importlib.import_module(module_name)
        prisma_class = module.Prisma
    except (ImportError, AttributeError, RuntimeError) as error:
        raise CommandError(
            f"cannot load the Prisma client {module_name!r} ({error}). "
            "Run `prisma generate` for your schema (with the Session model), "
            "or name the generated package with --client.",
            "no_client",
        ) from error
    return prisma_class(connect_timeout=timedelta(seconds=connect_timeout))


async def _run(args: argparse.Namespace, out: TextIO, confirm: Callable[[str], bool]) -> None:
    client = _load_client(args.client, args.connect_timeout)
    try:
        store = PrismaSessionStore(client, session_model_name=args.model, logger=False)
    except ConfigurationError as error:
        raise CommandError(f"{error} (here: --model NAME)", "misconfigured") from error

    if args.command == "clear" and not args.yes and not confirm("Delete EVERY session?"):
        raise CommandError("nothing deleted", "aborted")
    try:
        await client.connect()
    except Exception as error:
        raise CommandError(
            f"cannot reach the database ({type(error).__name__}: {error}). Check DATABASE_URL "
            "and that the database server is running.",
            "unreachable",
        ) from error
    try:
        if args.command == "prune":
            print(await store.prune(), file=out)
        elif args.command == "count":
            print(await store.length(), file=out)
        elif args.command == "ids":
            for sid in await store.ids():
                print(sid, file=out)
        else:
            await store.clear()
    except ConfigurationError as error:
        raise CommandError(str(error), "misconfigured") from error
    finally:
        await client.disconnect()


def _ask(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    confirm: Callable[[str], bool] = _ask,
) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        asyncio.run(_run(args, out or sys.stdout, confirm))
    except CommandError as error:
        print(f"prisma-session-store: {error}", file=sys.stderr)
        return EXIT_CODES[error.code]
    except Exception as error:  # noqa: BLE001 - one line, not a traceback, for cron mail
        print(
            f"prisma-session-store: {args.command} failed: {type(error).__name__}: {error}",
            file=sys.stderr,
        )
        return EXIT_CODES["error"]
    return EXIT_CODES["ok"]


def main_entry() -> None:
    """The ``prisma-session-store`` console script."""
    sys.exit(main())

"""``scripts/bench``: run the benchmarks and write BENCHMARKS.md.

scripts/bench                      # everything, SQLite and PostgreSQL (about 20 minutes)
scripts/bench --quick              # a smoke run: 1 round, short loads (about 3 minutes)
scripts/bench --databases sqlite   # fewer databases (sqlite, postgresql, mysql)
scripts/bench --only http,prune    # some sections: store, hot-read, middleware, http,
                                   #   queries, prune, profile
scripts/bench --output -           # print the report instead of writing BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from . import report
from .databases import PROVIDERS, ROOT, prepare
from .httpbench import HttpSettings, http_benchmark
from .inprocess import code_cost, middleware_cost, profile
from .prune import prune_at_scale
from .queries import queries_per_request
from .store_ops import hot_read, store_operations

SECTIONS = ("store", "hot-read", "middleware", "queries", "prune", "http", "profile")
DEFAULT_SECTIONS = ("store", "hot-read", "middleware", "queries", "prune", "http")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description="Benchmarks of prisma-session-store; see BENCHMARKS.md."
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (1 round)")
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="comma-separated: sqlite, postgresql, mysql (default: sqlite,postgresql)",
    )
    parser.add_argument(
        "--hot-read-databases",
        default="sqlite,postgresql,mysql",
        help="databases for the raw-vs-model read comparison (default: all three)",
    )
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT_SECTIONS),
        help=f"comma-separated sections among {', '.join(SECTIONS)} (profile is opt-in)",
    )
    parser.add_argument("--rounds", type=int, help="rounds (default 5, quick 1)")
    parser.add_argument("--seconds", type=float, help="seconds per wrk run (default 4, quick 2)")
    parser.add_argument(
        "--output", default=str(ROOT / "BENCHMARKS.md"), help="report file, or - for stdout"
    )
    args = parser.parse_args(argv)
    args.databases = _names(args.databases, PROVIDERS, "--databases")
    args.hot_read_databases = _names(args.hot_read_databases, PROVIDERS, "--hot-read-databases")
    args.only = _names(args.only, SECTIONS, "--only")
    if args.rounds is None:
        args.rounds = 1 if args.quick else 5
    if args.seconds is None:
        args.seconds = 2.0 if args.quick else 4.0
    return args


def _names(raw: str, allowed: tuple[str, ...], option: str) -> list[str]:
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise SystemExit(f"{option}: unknown {', '.join(unknown)} (one of {', '.join(allowed)})")
    return names


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> str:
    started = time.monotonic()
    calls = 40 if args.quick else 200
    out = report.Report(quick=args.quick, rounds=args.rounds, seconds=args.seconds, calls=calls)
    databases = {}
    for name in dict.fromkeys(args.databases + args.hot_read_databases):
        progress(f"preparing {name}")
        databases[name] = await prepare(name)

    for name in args.databases:
        database = databases[name]
        if "queries" in args.only:
            progress(f"{name}: queries per request")
            out.queries[name] = await queries_per_request(database)
        if "store" in args.only:
            progress(f"{name}: store operations ({args.rounds} rounds of {calls} calls)")
            out.store[name] = await store_operations(database, rounds=args.rounds, calls=calls)
        if "middleware" in args.only:
            progress(f"{name}: middleware in process ({args.rounds} rounds of {calls} requests)")
            out.middleware[name] = await middleware_cost(database, rounds=args.rounds, calls=calls)
        if "prune" in args.only:
            expired, live = (10_000, 1_000) if args.quick else (100_000, 10_000)
            progress(f"{name}: prune of {expired:,} expired rows among {live:,} live ones")
            out.prune[name] = await prune_at_scale(database, expired=expired, live=live)
        if "profile" in args.only:
            progress(f"{name}: profiling /read and /incr (pyinstrument)")
            out.profiles[name] = await profile(database, calls=calls)
    if "middleware" in args.only:
        progress("the middleware's own code, queries answered from memory")
        out.middleware["no database"] = await code_cost(rounds=args.rounds, calls=calls * 10)
    if "hot-read" in args.only:
        for name in args.hot_read_databases:
            progress(f"{name}: hot read, model API against raw query")
            out.hot_read[name] = await hot_read(databases[name], rounds=args.rounds, calls=calls)
    if "http" in args.only:
        settings = HttpSettings(rounds=args.rounds, seconds=args.seconds)
        for name in args.databases:
            out.http[name] = await asyncio.to_thread(
                http_benchmark, databases[name], settings, progress
            )
    out.elapsed = time.monotonic() - started
    return out.render()


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    text = asyncio.run(run(args))
    if args.output == "-":
        print(text)
    else:
        Path(args.output).write_text(text)
        progress(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""BENCHMARKS.md: the run's numbers as Markdown, with the machine and versions."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from .databases import ROOT
from .httpbench import LABELS, HttpResult
from .inprocess import MiddlewareCost
from .prune import PruneResult
from .queries import QueryCount
from .stats import fmt_rate, fmt_ratio, fmt_ratios, median
from .store_ops import Comparison

_Add = Callable[[str], None]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _command_version(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return "not found"
    output = done.stdout or done.stderr  # `wrk -v` prints its version and exits 1
    return output.strip().splitlines()[0] if output.strip() else "unknown"


def _node_package_version(package: str) -> str:
    path = ROOT / "scripts" / "node-store" / "node_modules" / package / "package.json"
    if not path.exists():
        return "not installed"
    import json  # noqa: PLC0415

    return str(json.loads(path.read_text())["version"])


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


@dataclass
class Report:
    quick: bool
    rounds: int
    seconds: float
    calls: int
    store: dict[str, list[Comparison]] = field(default_factory=dict)
    hot_read: dict[str, Comparison] = field(default_factory=dict)
    middleware: dict[str, list[MiddlewareCost]] = field(default_factory=dict)
    queries: dict[str, list[QueryCount]] = field(default_factory=dict)
    prune: dict[str, PruneResult] = field(default_factory=dict)
    http: dict[str, HttpResult] = field(default_factory=dict)
    profiles: dict[str, list[Path]] = field(default_factory=dict)
    elapsed: float = 0.0
    load_before: str = field(default_factory=_load)

    def render(self) -> str:
        lines: list[str] = []
        add = lines.append
        add("# Benchmarks")
        add("")
        add(
            "Written by `scripts/bench`"
            + (" --quick (a smoke run: one round, short loads)" if self.quick else "")
            + f" on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, in {self.elapsed / 60:.1f} "
            "minutes. Run it again to refresh this file; numbers from another machine differ, "
            "the ratios are what to compare."
        )
        add("")
        self._machine(add)
        self._summary(add)
        if self.http:
            self._http(add)
        if self.queries:
            self._queries(add)
        if self.store:
            self._store(add)
        if self.middleware:
            self._middleware(add)
        if self.hot_read:
            self._hot_read(add)
        if self.prune:
            self._prune(add)
        self._findings(add)
        if self.profiles:
            add("## Profiles")
            add("")
            for name, paths in self.profiles.items():
                for path in paths:
                    add(f"- {name}: `{path.relative_to(ROOT)}`")
            add("")
        self._method(add)
        return "\n".join(lines).rstrip() + "\n"

    # -- sections ------------------------------------------------------------

    def _machine(self, add: _Add) -> None:
        add("## Machine and versions")
        add("")
        add(f"- CPU: {os.cpu_count()} cores (`nproc`), {_cpu_model()}")
        add(f"- load average when the run started: {self.load_before}, at the end: {_load()}")
        add(f"- OS: {platform.platform()}")
        add(f"- Python {platform.python_version()}")
        for package in ("prisma", "starlette", "uvicorn", "httpx", "itsdangerous"):
            add(f"- {package} {version(package)}")
        add(f"- prisma-session-store {version('prisma-session-store')}")
        add(f"- Node.js {_command_version('node', '--version')}")
        add(f"- wrk: {_command_version('wrk', '-v')}")
        node_packages = (
            "@quixo3/prisma-session-store",
            "express-session",
            "express",
            "@prisma/client",
        )
        add(
            "- Node store: "
            + ", ".join(f"{name} {_node_package_version(name)}" for name in node_packages)
        )
        add(f"- PostgreSQL: {_command_version('psql', '--version')}")
        add("")

    def _summary(self, add: _Add) -> None:
        add("## Targets")
        add("")
        add("| target | measured | met |")
        add("|---|---|---|")
        for name, counts in self.queries.items():
            ours = {c.case: c.count for c in counts if c.variant == "ours"}
            for case, target in (
                ("no cookie, /read", 0),
                ("/read", 1),
                ("/incr", 2),
                ("/read, unchanged within the touch throttle", 1),
            ):
                measured = ours.get(case)
                if measured is None:
                    continue
                met = "yes" if measured <= target else "NO"
                add(f"| {name}: queries, {case}: {target} | {measured} | {met} |")
        for name, result in self.http.items():
            for cell in result.cells:
                ratio = median(cell.ratios("ours"))
                met = "yes" if ratio >= 0.9 else "NO"
                add(
                    f"| {name}: `{cell.route}` at {cell.connections} connection(s), "
                    f"ours / baseline >= 0.9 | {fmt_ratio(ratio)} "
                    f"(rounds: {fmt_ratios(cell.ratios('ours'))}) | {met} |"
                )
            if "node" in result.variants:
                for cell in result.cells:
                    node_ratios = ratios_to(cell.rates["ours"], cell.rates["node"])
                    ratio = median(node_ratios)
                    met = "yes" if ratio >= 1.0 else "no"
                    add(
                        f"| {name}: `{cell.route}` at {cell.connections} connection(s), "
                        f"ours / Node store (aim >= 1.0) | {fmt_ratio(ratio)} "
                        f"(rounds: {fmt_ratios(node_ratios)}) | {met} |"
                    )
        for name, prune in self.prune.items():
            statements = _real(prune.statements)
            one = len(statements) == 1 and statements[0].upper().startswith("DELETE")
            line = (
                f"| {name}: prune {prune.expired:,} expired rows: one DELETE"
                + (", < 2 s" if name == "sqlite" else "")
                + f" | {len(statements)} statement(s), {prune.prune_seconds:.3f} s | "
            )
            prune_met = one and (name != "sqlite" or prune.prune_seconds < 2)
            add(line + ("yes" if prune_met else "NO") + " |")
        add("")

    def _http(self, add: _Add) -> None:
        add("## HTTP: requests per second")
        add("")
        add(
            f"uvicorn, one worker, on loopback; wrk, one thread, {self.seconds:g} s per run, "
            f"{self.rounds} round(s); every variant loaded in turn within a round (the order "
            "rotates per round). Each request carries the cookie of an existing session (32 "
            "sessions per server, rotated). Ratios are taken within a round, then the median."
        )
        add("")
        for name, result in self.http.items():
            add(f"### {name}")
            add("")
            if result.node_missing:
                add(f"The Node store is not in this run: {result.node_missing}.")
                add("")
            add(
                "| route | conns | "
                + " | ".join(result.variants)
                + " | ours/baseline per round |"
                + (" ours/Node per round |" if "node" in result.variants else "")
            )
            add(
                "|---|---|"
                + "---|" * len(result.variants)
                + "---|"
                + ("---|" if "node" in result.variants else "")
            )
            for cell in result.cells:
                row = f"| `{cell.route}` | {cell.connections} | " + " | ".join(
                    fmt_rate(cell.median(variant)) for variant in result.variants
                )
                row += f" | {fmt_ratios(cell.ratios('ours'))} (median "
                row += f"{fmt_ratio(median(cell.ratios('ours')))}) |"
                if "node" in result.variants:
                    node_ratios = ratios_to(cell.rates["ours"], cell.rates["node"])
                    row += f" {fmt_ratios(node_ratios)} (median {fmt_ratio(median(node_ratios))}) |"
                add(row)
            errors = {
                variant: sum(cell.errors.get(variant, 0) for cell in result.cells)
                for variant in result.variants
            }
            add("")
            add(
                "Medians of the rounds. Non-2xx responses and socket errors: "
                + ", ".join(f"{variant} {count}" for variant, count in errors.items())
                + "."
            )
            add("")
        add("Variants:")
        add("")
        for variant, label in LABELS.items():
            add(f"- `{variant}`: {label}")
        add("")

    def _queries(self, add: _Add) -> None:
        add("## Queries per request")
        add("")
        add(
            "SQL statements the engine ran for one request, from its query log "
            "(`PRISMA_SESSION_STORE_ENGINE_QUERY_LOG`). Transaction control is listed but not "
            "counted: Prisma runs every `update_many` (a touch, and our save of a loaded "
            "session) inside BEGIN and COMMIT, which the SQLite adapter logs as "
            "`-- Implicit BEGIN/COMMIT` and PostgreSQL runs as statements of their own."
        )
        add("")
        for name, counts in self.queries.items():
            add(f"### {name}")
            add("")
            add("| middleware | request | statements | target | what |")
            add("|---|---|---|---|---|")
            for count in counts:
                target = "" if count.target is None else str(count.target)
                what = "; ".join(f"`{_verb(sql)}`" for sql in count.statements) or "none"
                add(f"| {count.variant} | {count.case} | {count.count} | {target} | {what} |")
            add("")

    def _store(self, add: _Add) -> None:
        add("## Store operations")
        add("")
        add(
            f"Sequential calls per second on one connected client, {self.rounds} round(s) of "
            f"{self.calls} calls, the store and the bare Prisma call alternated (the first one "
            "swaps each round). Ratio: store / bare, per round, then the median."
        )
        add("")
        for name, comparisons in self.store.items():
            add(f"### {name}")
            add("")
            add("| operation | store calls/s | bare Prisma call | bare calls/s | ratio | rounds |")
            add("|---|---|---|---|---|---|")
            for c in comparisons:
                add(
                    f"| `{c.ours_label}` | {fmt_rate(median(c.ours))} | `{c.theirs_label}` | "
                    f"{fmt_rate(median(c.theirs))} | {fmt_ratio(c.ratio)} | "
                    f"{fmt_ratios(c.ratios)} |"
                )
            add("")

    def _middleware(self, add: _Add) -> None:
        add("## What the middleware costs, without HTTP")
        add("")
        add(
            "The Starlette app called directly as an ASGI callable in the benchmark's process "
            "(no server, no sockets), with a session cookie, ours and the baseline alternated: "
            f"{self.rounds} round(s) of {self.calls} sequential requests. CPU is this process's "
            "time per request (Prisma Client Python included, the engine's own process not): "
            "the difference is what the middleware and the store add to the same queries, and "
            "unlike wall-clock rates it hardly moves with the load of other processes."
        )
        add("")
        add(
            "| database | route | ours CPU/request | baseline CPU/request | added by ours "
            "| ours req/s | baseline req/s | wall ratio per round |"
        )
        add("|---|---|---|---|---|---|---|---|")
        for name, costs in self.middleware.items():
            for cost in costs:
                ours_cpu, base_cpu = median(cost.cpu_ours), median(cost.cpu_baseline)
                wall = (
                    f"{fmt_rate(median(cost.wall.ours))} | {fmt_rate(median(cost.wall.theirs))} | "
                    f"{fmt_ratios(cost.wall.ratios)}"
                    if cost.wall.ours
                    else "| |"
                )
                add(
                    f"| {name} | `{cost.route}` | {ours_cpu:,.1f} µs | {base_cpu:,.1f} µs | "
                    f"{ours_cpu - base_cpu:+,.1f} µs ({(ours_cpu - base_cpu) / base_cpu:+.1%}) | "
                    f"{wall} |"
                )
        add("")
        add(
            "`no database`: the same apps with the session queries answered from a dict in "
            "memory (a stand-in used only here), so the CPU is the middleware's and the store's "
            f"own code, {self.calls * 10} requests per round."
        )
        add("")

    def _hot_read(self, add: _Add) -> None:
        add("## The hot read: model API or raw query")
        add("")
        add(
            "`find_unique(where={'sid': ...})` (query builder, GraphQL document, model parsing) "
            "against `query_first(<SELECT data, expiresAt ... WHERE sid = ?>)` on the same "
            "client, alternated."
        )
        add("")
        add("| database | find_unique calls/s | query_first calls/s | raw/model | rounds | note |")
        add("|---|---|---|---|---|---|")
        for name, c in self.hot_read.items():
            add(
                f"| {name} | {fmt_rate(median(c.theirs))} | {fmt_rate(median(c.ours))} | "
                f"{fmt_ratio(c.ratio)} | {fmt_ratios(c.ratios)} | {c.note} |"
            )
        add("")

    def _prune(self, add: _Add) -> None:
        add("## prune() at scale")
        add("")
        add(
            "| database | expired rows | live rows | insert (raw SQL) | prune() | removed | left "
            "| statements |"
        )
        add("|---|---|---|---|---|---|---|---|")
        for name, p in self.prune.items():
            statements = "; ".join(f"`{_clip(sql, 90)}`" for sql in p.statements)
            add(
                f"| {name} | {p.expired:,} | {p.live:,} | {p.insert_seconds:.2f} s | "
                f"{p.prune_seconds:.3f} s | {p.removed:,} | {p.remaining:,} | "
                f"{len(_real(p.statements))}: {statements} |"
            )
        add("")

    def _findings(self, add: _Add) -> None:
        add("## Findings")
        add("")
        add(
            "- Where a request's time goes: each Prisma Client Python query costs a few "
            "milliseconds (query building and model parsing in Python, an HTTP round trip to "
            "the engine process, the engine itself), against tens of microseconds for what the "
            "middleware and the store do around it (the CPU table above). Saving a query is "
            "what matters, and the middleware issues as many as the baseline: a read, and for a "
            "change one write (an update of the loaded row where the baseline upserts, so that "
            "a session another request ended meanwhile stays ended)."
        )
        if self.hot_read:
            ratios_text = ", ".join(
                f"{name} {fmt_ratio(c.ratio)}" for name, c in self.hot_read.items()
            )
            add(
                "- A raw `query_first` for the hot read is faster than `find_unique` "
                f"({ratios_text} the calls per second) because it skips the query builder and "
                "model parsing. It is not adopted: a raw query must name the table and columns, "
                "which the store cannot know when the model is mapped (`@@map`/`@map`), and the "
                "DateTime comes back as whatever the database holds (text from the driver "
                "adapters here; SQLite files written by Prisma's native engine may hold another "
                "form), so the parsing would differ by database and engine. The model API is "
                "correct everywhere."
            )
        add(
            "- Concurrency: Prisma Client Python spends more CPU per query the more queries it "
            "has in flight (about 1 ms at 4, 1.6 to 1.9 ms at 32, measured in-process with "
            "`find_unique` on SQLite and PostgreSQL), so at 32 connections the baseline, which "
            "sends every query at once, serves fewer requests than at one. The store admits "
            "`max_concurrent_queries` operations at a time (default 4) and lets the others "
            "wait their turn: that is why it serves about 2.5 times the baseline at 32 "
            "connections and the same at one."
        )
        add(
            "- The save of a changed session and a refresh of its expiry (`touch`, at most "
            "once per tenth of the session's lifetime by default) are one `update_many` each, "
            "which the engine runs inside a transaction: on PostgreSQL that is BEGIN, UPDATE, "
            "COMMIT (see the query table)."
        )
        add(
            "- The Node store beside it runs Prisma 7's query compiler in-process with driver "
            "adapters (no engine process, no HTTP hop), so each of its queries is much cheaper: "
            "it wins wherever the query count is equal or concurrency hides its extra queries, "
            "although it issues 3 queries for `/read` and `/incr` where this store issues 1 "
            "and 2 (express-session touches every unmodified session, and that store's touch "
            "is a find plus an update)."
        )
        add("")

    def _method(self, add: _Add) -> None:
        add("## How it is measured")
        add("")
        add(
            "- Databases: a fresh SQLite file (`.cache/bench/sessions.db`), the PostgreSQL "
            "schema `pss_bench` and the MariaDB database `pss_bench`, with the Session table "
            "from `scripts/sql/`; the clients are the generated test clients, on the offline "
            "engine (`scripts/engine`), one engine process per client."
        )
        add(
            "- The machine is small and shared: other processes run beside the benchmark, so "
            "absolute numbers move between runs. Compare the ratios, which are taken within one "
            "round."
        )
        add(
            "- Source: `scripts/benchmarks/` (the app and the baseline middleware are in "
            "`scripts/benchmarks/app.py`)."
        )


def ratios_to(values: list[float], others: list[float]) -> list[float]:
    return [a / b for a, b in zip(values, others, strict=True) if b]


def _real(statements: list[str]) -> list[str]:
    return [sql for sql in statements if not sql.lstrip().startswith("--")]


def _verb(sql: str) -> str:
    if sql.lstrip().startswith("--"):
        return sql.replace("-- ", "").replace('"', "").replace(" query via underlying driver", "")
    return " ".join(sql.split()[:3]) + " ..."


def _clip(sql: str, width: int) -> str:
    return sql if len(sql) <= width else sql[: width - 3] + "..."

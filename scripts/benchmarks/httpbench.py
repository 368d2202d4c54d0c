"""The HTTP comparison: every variant's server started once per database,
then rounds in which each (route, concurrency) is loaded on every variant in
turn (the order rotating per round), so that the ratio of two variants is
taken within one round, under the same background load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .databases import BenchDatabase
from .load import (
    Server,
    make_sessions,
    node_store_available,
    run_wrk,
    start_node,
    start_python,
    stop_all,
    wait_ready,
)
from .stats import median, ratios

ROUTES = ("/read", "/incr")
CONCURRENCY = (1, 32)
PYTHON_VARIANTS = ("ours", "baseline", "cookie")
LABELS = {
    "ours": "prisma_session_store.SessionMiddleware",
    "baseline": "baseline (hand-written, same Prisma queries)",
    "cookie": "Starlette cookie SessionMiddleware (no database)",
    "node": "Node: express-session + @quixo3/prisma-session-store (Prisma 7)",
}


@dataclass(frozen=True)
class HttpSettings:
    rounds: int
    seconds: float
    warmup_seconds: float = 1.0


@dataclass
class Cell:
    """One (route, concurrency): req/s per variant, in round order."""

    route: str
    connections: int
    rates: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def median(self, variant: str) -> float:
        return median(self.rates.get(variant, []))

    def ratios(self, variant: str, to: str = "baseline") -> list[float]:
        if variant not in self.rates or to not in self.rates:
            return []
        return ratios(self.rates[variant], self.rates[to])


@dataclass
class HttpResult:
    database: str
    variants: list[str]
    cells: list[Cell]
    node_missing: str | None = None


def http_benchmark(
    database: BenchDatabase, settings: HttpSettings, progress: Callable[[str], None]
) -> HttpResult:
    node_missing = node_store_available(database.name)
    if node_missing is not None:
        progress(f"{database.name}: the Node store is left out: {node_missing}")
    servers: list[Server] = []
    try:
        progress(f"{database.name}: starting the HTTP servers")
        for variant in PYTHON_VARIANTS:
            servers.append(start_python(variant, database))
        if node_missing is None:
            servers.append(start_node(database))
        for server in servers:
            wait_ready(server)
            make_sessions(server)
        variants = [server.variant for server in servers]
        cells = [Cell(route, c) for route in ROUTES for c in CONCURRENCY]
        progress(f"{database.name}: warming up")
        for cell in cells:
            for server in servers:
                run_wrk(server, cell.route, cell.connections, settings.warmup_seconds)
        for round_number in range(settings.rounds):
            shift = round_number % len(servers)
            order = servers[shift:] + servers[:shift]
            progress(
                f"{database.name}: HTTP round {round_number + 1}/{settings.rounds} "
                f"({' '.join(s.variant for s in order)})"
            )
            for cell in cells:
                for server in order:
                    result = run_wrk(server, cell.route, cell.connections, settings.seconds)
                    cell.rates.setdefault(server.variant, []).append(result.requests_per_second)
                    cell.errors[server.variant] = cell.errors.get(server.variant, 0) + result.errors
        return HttpResult(database.name, variants, cells, node_missing)
    finally:
        stop_all(servers)

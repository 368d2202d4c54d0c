"""The command line, on the real databases: what cron runs."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from prisma_session_store import __version__
from prisma_session_store._cli import EXIT_CODES, main
from tests.conftest import ROOT, Database

NOW = datetime.now(timezone.utc)


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Point the generated test client at the test database, like DATABASE_URL would."""
    monkeypatch.setenv(f"PSS_TEST_{database.name.upper()}_URL", database.url)
    return ["--client", f"prisma_test_{database.name}"]


async def run(args: list[str], *, confirm: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    # The CLI runs its own event loop (asyncio.run): give it a thread.
    code = await asyncio.to_thread(main, args, out=out, confirm=lambda question: confirm)
    return code, out.getvalue()


async def seed(database: Database, live: int, expired: int) -> None:
    await database.client.session.create_many(
        data=[
            {
                "id": f"id-{kind}-{n}",
                "sid": f"{kind}-{n}",
                "data": "{}",
                "expiresAt": NOW + timedelta(hours=1 if kind == "live" else -1),
            }
            for kind, count in (("live", live), ("expired", expired))
            for n in range(count)
        ]
    )


async def test_prune_prints_how_many_it_removed(
    prisma: object, database: Database, cli_env: list[str]
) -> None:
    await seed(database, live=2, expired=3)
    assert await run([*cli_env, "prune"]) == (0, "3\n")
    assert await database.client.session.count() == 2


async def test_count_and_ids_list_live_sessions(
    prisma: object, database: Database, cli_env: list[str]
) -> None:
    await seed(database, live=2, expired=1)
    assert await run([*cli_env, "count"]) == (0, "2\n")
    code, out = await run([*cli_env, "ids"])
    assert code == 0
    assert sorted(out.split()) == ["live-0", "live-1"]


async def test_clear_asks_first(prisma: object, database: Database, cli_env: list[str]) -> None:
    await seed(database, live=2, expired=1)
    assert await run([*cli_env, "clear"], confirm=False) == (EXIT_CODES["aborted"], "")
    assert await database.client.session.count() == 3
    assert await run([*cli_env, "clear"], confirm=True) == (0, "")
    assert await database.client.session.count() == 0


async def test_clear_yes_does_not_ask(
    prisma: object, database: Database, cli_env: list[str]
) -> None:
    await seed(database, live=1, expired=1)
    assert await run([*cli_env, "clear", "--yes"], confirm=False) == (0, "")
    assert await database.client.session.count() == 0


async def test_unknown_model_is_a_configuration_error(
    prisma: object, cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run([*cli_env, "--model", "sessions", "count"]) == (
        EXIT_CODES["misconfigured"],
        "",
    )
    assert "--model NAME" in capsys.readouterr().err


def test_missing_client_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--client", "no_such_client_package", "count"]) == EXIT_CODES["no_client"]
    assert "prisma generate" in capsys.readouterr().err


# capfd, not capsys: the query engine process writes to the real file descriptors.


def test_missing_table_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSS_TEST_SQLITE_URL", f"file:{tmp_path / 'empty.db'}")
    assert main(["--client", "prisma_test_sqlite", "prune"]) == EXIT_CODES["misconfigured"]
    assert "prisma db push" in capfd.readouterr().err


def test_unreachable_database_is_reported(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSS_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:1/test")
    args = ["--client", "prisma_test_postgresql", "--connect-timeout", "2", "count"]
    assert main(args) == EXIT_CODES["unreachable"]
    err = capfd.readouterr().err
    assert "cannot reach the postgresql database at postgresql://postgres@127.0.0.1:1/test" in err
    assert "prisma-session-store: cannot reach the database" in err


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "prisma_session_store"],
        [str(Path(sys.executable).parent / "prisma-session-store")],
    ],
    ids=["python -m", "console script"],
)
def test_entry_points(command: list[str]) -> None:
    version = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert version.returncode == 0
    assert version.stdout.strip() == f"prisma-session-store {__version__}"
    usage = subprocess.run(
        [*command, "frobnicate"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ},
    )
    assert usage.returncode == EXIT_CODES["usage"]
    assert "invalid choice" in usage.stderr

"""Every code block of README.md, executed.

Python blocks run in a subprocess on a fresh SQLite database, and the apps
they define answer real requests; Prisma blocks are validated by the Prisma
CLI; each line of a bash block is either run here or named in COVERED_ELSEWHERE
with the test that runs it. A new block or command fails this module until
it is handled, so the README cannot drift from the code.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ENGINE_DIR = ROOT / "scripts" / "engine"

# Commands that a test elsewhere runs, or that cannot run offline, and why.
COVERED_ELSEWHERE = {
    "scripts/demo": "tests/test_examples.py runs it",
    "scripts/test": "this test run is it",
    "pip install prisma-session-store": "tests/test_packaging.py installs the built wheel",
    "prisma db push": "needs Prisma's native schema engine; offline, the tables come from "
    "scripts/sql/, as the README's offline section says",
    'node scripts/node-store/server.mjs --url "file:$PWD/sessions.db" --secret change-me '
    "--port 3000": "tests/test_node_interop.py runs this server beside the Python store",
}


class Block(NamedTuple):
    language: str
    code: str
    line: int


def readme_blocks() -> list[Block]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [
        Block(match["language"], match["code"], text.count("\n", 0, match.start()) + 1)
        for match in re.finditer(r"^```(?P<language>\w*)\n(?P<code>.*?)^```$", text, re.M | re.S)
    ]


def blocks(language: str) -> list[Block]:
    return [block for block in readme_blocks() if block.language == language]


def block_ids(found: list[Block]) -> list[str]:
    return [f"README.md:{block.line}" for block in found]


def test_every_block_has_a_known_language() -> None:
    assert {block.language for block in readme_blocks()} <= {"bash", "python", "prisma"}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database with the bundled Session table."""
    path = tmp_path / "sessions.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((ROOT / "scripts/sql/session.sqlite.sql").read_text())
    return f"file:{path}"


def run(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# -- python ---------------------------------------------------------------------------------

# What each kind of Python block must do once it has run: a driver for the
# apps (through Starlette's TestClient, which runs the app's lifespan; the
# first marker found in the block picks it), and the output of a plain script.
APP_DRIVERS = {
    'cookie_format="express"': """
        import base64, hashlib, hmac, json, os, sqlite3, urllib.parse

        # A session as the Node store writes it, and the cookie express-session signs.
        sid = "N" * 32
        data = {"cookie": {"originalMaxAge": 86400000, "expires": "2100-01-01T00:00:00.000Z",
                           "httpOnly": True, "path": "/"}, "user": "ada"}
        with sqlite3.connect(os.environ["DATABASE_URL"].removeprefix("file:")) as db:
            db.execute("INSERT INTO Session (id, sid, data, expiresAt) VALUES (?, ?, ?, ?)",
                       ("node-row", sid, json.dumps(data), "2100-01-01T00:00:00.000+00:00"))
        digest = hmac.new(b"current", sid.encode(), hashlib.sha256).digest()
        signature = base64.b64encode(digest).decode().rstrip("=")
        with TestClient(module.app) as client:
            client.cookies.set("connect.sid", urllib.parse.quote(f"s:{sid}.{signature}", safe=""))
            assert client.get("/whoami").json() == {"user": "ada"}
    """,
    "FastAPI(": """
        with TestClient(module.app) as client:
            assert client.post("/login", params={"name": "ada"}).json() == {"user": "ada"}
            assert client.get("/me").json() == {"user": "ada"}
            assert client.post("/logout").json() == {"user": None}
            assert client.get("/me").json() == {"user": None}
    """,
    "Starlette(": """
        with TestClient(module.app) as client:
            assert [client.get("/").json()["visits"] for _ in range(3)] == [1, 2, 3]
    """,
}
SCRIPT_OUTPUT = {"asyncio.run(main())": "{'user': 'ada'}\n1\n"}


@pytest.mark.parametrize("block", blocks("python"), ids=block_ids(blocks("python")))
def test_python_block_runs(block: Block, tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "readme_block.py").write_text(block.code)
    env = {
        "DATABASE_URL": sqlite_url,
        "PYTHONPATH": str(tmp_path),
        "SESSION_SECRETS": "current,old",
    }
    drivers = [driver for marker, driver in APP_DRIVERS.items() if marker in block.code][:1]
    outputs = [output for marker, output in SCRIPT_OUTPUT.items() if marker in block.code]
    assert len(drivers) + len(outputs) == 1, "add this block to APP_DRIVERS or SCRIPT_OUTPUT"
    if drivers:
        driver = "import readme_block as module\nfrom starlette.testclient import TestClient\n"
        (tmp_path / "driver.py").write_text(driver + textwrap.dedent(drivers[0]))
        result = run([sys.executable, "driver.py"], cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
    else:
        result = run([sys.executable, "readme_block.py"], cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == outputs[0]


# -- prisma ---------------------------------------------------------------------------------

OFFLINE_PRISMA_ENV = {
    "PRISMA_BINARY_CACHE_DIR": str(ENGINE_DIR),
    "PRISMA_QUERY_ENGINE_BINARY": str(ENGINE_DIR / "query-engine"),
    "PRISMA_SCHEMA_ENGINE_BINARY": str(ENGINE_DIR / "schema-engine"),
    "CHECKPOINT_DISABLE": "1",
    "PRISMA_HIDE_UPDATE_MESSAGE": "1",
}
DATASOURCES = {
    "sqlite": 'provider = "sqlite"\n  url = "file:./dev.db"',
    "postgresql": 'provider = "postgresql"\n  url = "postgresql://u@localhost/db"',
    "mysql": 'provider = "mysql"\n  url = "mysql://u@localhost/db"',
}


def readme_schema(model: Block, provider: str, output: Path | None = None) -> str:
    """The README's generator block and ``model`` on ``provider``."""
    (generator,) = [block.code for block in blocks("prisma") if "generator" in block.code]
    if output is not None:
        generator = generator.replace("\n}", f'\n  output    = "{output}"\n}}')
    return f"datasource db {{\n  {DATASOURCES[provider]}\n}}\n\n{generator}\n{model.code}"


def model_blocks() -> list[Block]:
    return [block for block in blocks("prisma") if "model Session" in block.code]


@pytest.mark.parametrize("model", model_blocks(), ids=block_ids(model_blocks()))
def test_prisma_model_is_valid_on_its_databases(model: Block, tmp_path: Path) -> None:
    # The MEDIUMTEXT model is the MySQL one; the plain one is for the others.
    mysql_only = "@db.MediumText" in model.code
    providers = ["mysql"] if mysql_only else ["sqlite", "postgresql", "mysql"]
    for provider in providers:
        schema = tmp_path / f"{provider}.prisma"
        schema.write_text(readme_schema(model, provider))
        result = run(["prisma", "validate", "--schema", str(schema)], cwd=tmp_path,
                     env=OFFLINE_PRISMA_ENV)  # fmt: skip
        assert result.returncode == 0, f"{provider}: {result.stdout}{result.stderr}"
        assert "is valid" in result.stdout


# -- bash -----------------------------------------------------------------------------------


def bash_commands() -> list[str]:
    commands = []
    for block in blocks("bash"):
        for line in block.code.splitlines():
            command = line.split("#", 1)[0].strip()
            if command:
                commands.append(command)
    return commands


def test_every_bash_command_is_run_somewhere() -> None:
    handled = set(COVERED_ELSEWHERE) | {
        "prisma generate",
        "prisma generate --schema /path/to/your/schema.prisma",
    }
    unhandled = [
        command
        for command in bash_commands()
        if command not in handled and not command.startswith(("prisma-session-store ", "export "))
    ]
    assert unhandled == [], "run these commands in this module or name their test"


def test_the_offline_environment_is_the_one_generate_runs_with() -> None:
    # The README's exports, run in this repository, are what this module's
    # `prisma generate` runs with (the other two variables only quiet the CLI).
    exported: dict[str, str] = {}
    for command in bash_commands():
        if command.startswith("export "):
            name, value = command.removeprefix("export ").split("=", 1)
            value = value.strip('"').replace("$PWD", str(ROOT))
            exported[name] = value.replace(
                "$PRISMA_BINARY_CACHE_DIR", exported.get("PRISMA_BINARY_CACHE_DIR", "")
            )
    engine = (
        "PRISMA_BINARY_CACHE_DIR",
        "PRISMA_QUERY_ENGINE_BINARY",
        "PRISMA_SCHEMA_ENGINE_BINARY",
    )
    assert exported == {name: OFFLINE_PRISMA_ENV[name] for name in engine}


def test_prisma_generate_builds_the_readme_client(tmp_path: Path) -> None:
    (model,) = [block for block in model_blocks() if "@db.MediumText" not in block.code]
    schema = tmp_path / "schema.prisma"
    # An output directory keeps the project's own generated client untouched.
    schema.write_text(readme_schema(model, "sqlite", output=tmp_path / "client"))
    result = run(["prisma", "generate", "--schema", str(schema)], cwd=tmp_path,
                 env=OFFLINE_PRISMA_ENV)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "client" / "client.py").is_file()


# Each CLI line of the README, with the exit status and output it gives on a
# database holding one live and one expired session.
CLI_EXPECTED = {
    "prune": (0, "1\n"),
    "count": (0, "1\n"),
    "--model userSession prune": (4, "no model delegate 'userSession'"),
}


def test_cli_commands_work_as_the_readme_says(tmp_path: Path, sqlite_url: str) -> None:
    lines = [command for command in bash_commands() if command.startswith("prisma-session-store ")]
    assert sorted(line.removeprefix("prisma-session-store ") for line in lines) == sorted(
        CLI_EXPECTED
    )
    for line in lines:
        with sqlite3.connect(sqlite_url.removeprefix("file:")) as connection:
            connection.execute("DELETE FROM Session")
            connection.executemany(
                "INSERT INTO Session (id, sid, data, expiresAt) VALUES (?, ?, '{}', ?)",
                [
                    ("a", "live", "2100-01-01T00:00:00+00:00"),
                    ("b", "expired", "2000-01-01T00:00:00+00:00"),
                ],
            )
        expected_status, expected_output = CLI_EXPECTED[line.removeprefix("prisma-session-store ")]
        result = run(line.split(), cwd=ROOT, env={"DATABASE_URL": sqlite_url})
        assert result.returncode == expected_status, result.stderr
        assert expected_output in result.stdout + result.stderr

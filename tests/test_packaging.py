"""Packaging and typing for users: what `pip install prisma-session-store` gets.

The wheel and the sdist are built once per run with ``python -m build`` (an
isolated build: hatchling comes from PyPI or pip's cache), checked with
``twine check --strict``, and the wheel is installed into a clean virtualenv
(no system site-packages) where a small typed user project,
tests/typed_example/, must pass ``mypy --strict``. A second check runs the
project's own mypy on tests/typed_example/with_generated_client.py, where
``prisma`` is the client generated from schema.prisma: the Protocols accept
it without casts. No database is involved, so these tests run once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

import pytest

from prisma_session_store import __version__, bundled_schema
from tests.conftest import ROOT

EXAMPLE = ROOT / "tests" / "typed_example"
# What a user's project holds: the app and their test double, not the file
# that needs this repository's generated client.
USER_PROJECT_FILES = ("app.py", "memory_client.py")
PACKAGE = ROOT / "prisma_session_store"
SCHEMA = ROOT / "schema.prisma"
NAME = f"prisma_session_store-{__version__}"

# Variables that would point a child Python or mypy at this checkout.
_LEAKY = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MYPYPATH", "PYTHONSTARTUP")


def run_unchecked(
    *args: str | Path, cwd: Path = ROOT, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in _LEAKY}
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run(*args: str | Path, cwd: Path = ROOT, timeout: float = 90) -> str:
    """Run a command; fail the test with its output unless it exits 0."""
    result = run_unchecked(*args, cwd=cwd, timeout=timeout)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result.stdout


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """The sdist, and the wheel built from it (``python -m build``'s default)."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    wheels = list(out.glob("*.whl"))
    sdists = list(out.glob("*.tar.gz"))
    assert [path.name for path in wheels] == [f"{NAME}-py3-none-any.whl"]
    assert [path.name for path in sdists] == [f"{NAME}.tar.gz"]
    return Dist(wheels[0], sdists[0])


@pytest.fixture(scope="module")
def venv_python(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean virtualenv with the wheel (and its dependencies) installed."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--no-input", dist.wheel, timeout=110)
    return python


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the mypy runs against the clean venv (they see the same packages)."""
    return tmp_path_factory.mktemp("mypy_cache")


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    """tests/typed_example copied out of the checkout, as a project of its own."""
    project = tmp_path / "project"
    project.mkdir()
    for name in USER_PROJECT_FILES:
        shutil.copy(EXAMPLE / name, project / name)
    return project


def package_modules() -> set[str]:
    return {f"prisma_session_store/{path.name}" for path in PACKAGE.glob("*.py")}


def wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"{NAME}.dist-info/METADATA").decode()
    return HeaderParser().parsestr(text)


# -- the distributions -------------------------------------------------------------


def test_wheel_holds_the_package_the_typing_marker_and_the_schema(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as archive:
        names = set(archive.namelist())
        schema = archive.read("prisma_session_store/schema.prisma")
    info = f"{NAME}.dist-info"
    assert names == package_modules() | {
        "prisma_session_store/py.typed",
        "prisma_session_store/schema.prisma",
        f"{info}/METADATA",
        f"{info}/WHEEL",
        f"{info}/RECORD",
        f"{info}/entry_points.txt",
        f"{info}/licenses/LICENSE",
    }
    assert schema == SCHEMA.read_bytes()


def test_wheel_metadata(dist: Dist) -> None:
    metadata = wheel_metadata(dist.wheel)
    assert metadata["Name"] == "prisma-session-store"
    assert metadata["Version"] == __version__
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "Typing :: Typed" in metadata.get_all("Classifier", [])
    requirements = metadata.get_all("Requires-Dist", [])
    for dependency in ("prisma", "starlette", "itsdangerous"):
        assert any(
            requirement.startswith(dependency) and "extra ==" not in requirement
            for requirement in requirements
        ), dependency
    # the long description is the README, as PyPI will show it
    assert str(metadata.get_payload()).startswith("# prisma-session-store\n")


def test_wheel_declares_the_console_script(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as archive:
        entry_points = archive.read(f"{NAME}.dist-info/entry_points.txt").decode()
    assert "prisma-session-store = prisma_session_store._cli:main_entry" in entry_points


def test_sdist_holds_what_a_rebuild_and_a_reader_need(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as archive:
        names = {name.removeprefix(f"{NAME}/") for name in archive.getnames()}
    assert names == package_modules() | {
        "prisma_session_store/py.typed",
        "schema.prisma",
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        ".gitignore",
        "PKG-INFO",
    }


def test_twine_check_passes(dist: Dist) -> None:
    output = run(sys.executable, "-m", "twine", "check", "--strict", dist.wheel, dist.sdist)
    assert output.count("PASSED") == 2, output


# -- the installed wheel -----------------------------------------------------------


def test_wheel_installs_into_a_clean_venv_and_imports(venv_python: Path) -> None:
    venv = venv_python.parent.parent
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    output = run(
        venv_python,
        "-c",
        "import prisma_session_store as p; print(p.__version__); print(p.__file__)",
        cwd=venv,
    )
    version, location = output.splitlines()
    assert version == __version__
    # the installed copy, not this checkout
    assert Path(location).is_relative_to(venv)


def test_installed_package_finds_its_bundled_schema(venv_python: Path) -> None:
    output = run(
        venv_python,
        "-c",
        "import prisma_session_store as p; print(p.bundled_schema(), end='')",
        cwd=venv_python.parent,
    )
    assert output == SCHEMA.read_text()


def test_bundled_schema_from_a_checkout() -> None:
    # the editable install reads the top-level file
    assert bundled_schema() == SCHEMA.read_text()


def test_console_script_runs(venv_python: Path) -> None:
    script = venv_python.parent / "prisma-session-store"
    assert run(script, "--version").strip() == f"prisma-session-store {__version__}"
    assert "prune" in run(venv_python, "-m", "prisma_session_store", "--help")


# -- typing in a user's project ----------------------------------------------------


def mypy_in(
    project: Path, python: Path, cache: Path, *files: str
) -> subprocess.CompletedProcess[str]:
    """mypy --strict on files of ``project``, seeing only ``python``'s packages."""
    return run_unchecked(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--python-executable",
        python,
        # the oldest Python the package supports
        "--python-version",
        "3.10",
        "--cache-dir",
        cache,
        *files,
        cwd=project,
    )


def test_typed_example_passes_mypy_strict_against_the_installed_wheel(
    venv_python: Path, user_project: Path, mypy_cache: Path
) -> None:
    result = mypy_in(user_project, venv_python, mypy_cache, *USER_PROJECT_FILES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found in 2 source files")


def test_typed_example_runs_against_the_installed_wheel(
    venv_python: Path, user_project: Path
) -> None:
    # The store checks its client when it is built: the Protocol-shaped test
    # double passes that check too.
    output = run(
        venv_python,
        "-c",
        "from app import create_app, describe; from memory_client import MemoryClient; "
        "create_app(MemoryClient(), secret_keys=['a-secret']); print(describe())",
        cwd=user_project,
    )
    assert output.startswith(f"prisma-session-store {__version__}: model Session {{")


MISUSE = """\
from memory_client import MemoryClient
from starlette.applications import Starlette

from prisma_session_store import PrismaSessionStore, SessionMiddleware

store = PrismaSessionStore(MemoryClient(), ttl="one day")  # error
PrismaSessionStore(object())  # error
SessionMiddleware(Starlette(), store=store, secret_key=b"key")  # error
SessionMiddleware(Starlette(), store=store, secret_key="key", same_site="always")  # error


async def main() -> None:
    count: str = await store.length()  # error
    await store.set("sid", ["not", "a", "mapping"])  # error
    store.prune()  # error
"""


def test_mypy_rejects_misuse_of_the_installed_api(
    venv_python: Path, user_project: Path, mypy_cache: Path
) -> None:
    # The example passes because the API is typed, not because it is Any.
    (user_project / "misuse.py").write_text(MISUSE)
    result = mypy_in(user_project, venv_python, mypy_cache, "misuse.py")
    assert result.returncode == 1, result.stdout + result.stderr
    flagged = {int(line.split(":")[1]) for line in result.stdout.splitlines() if ": error:" in line}
    expected = {
        number for number, line in enumerate(MISUSE.splitlines(), 1) if line.endswith("# error")
    }
    assert flagged == expected, result.stdout


def test_generated_client_satisfies_the_protocols_without_casts(tmp_path: Path) -> None:
    # The project's own mypy: its environment has the `prisma` client that
    # scripts/setup generates from schema.prisma.
    output = run(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        # tests/ is a package: take this directory as the root of the example
        "--explicit-package-bases",
        "--cache-dir",
        tmp_path / ".mypy_cache",
        "with_generated_client.py",
        *USER_PROJECT_FILES,
        cwd=EXAMPLE,
    )
    assert output.startswith("Success: no issues found in 3 source files"), output

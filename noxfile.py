"""Developer tasks: `nox` runs tests, lint and typecheck (what CI runs); `nox -s bench` too.

Sessions run on the Python that is present, 3.11 or newer: the one running nox, else the newest
found on PATH. With none, nox fails (it never skips a session and exits 0 having run nothing).
"""

import shutil
import sys

import nox

SUPPORTED = ("3.14", "3.13", "3.12", "3.11")


def _present_python() -> str:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running in SUPPORTED:
        return running
    found = next((v for v in SUPPORTED if shutil.which(f"python{v}")), None)
    # None found: ask for the oldest supported one, which fails as a missing interpreter.
    return found or SUPPORTED[-1]


PYTHON = _present_python()

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", "-q", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.5")
    session.run("ruff", "check", "bulkops", "tests", "bench", "noxfile.py")
    session.run("ruff", "format", "--check", "bulkops", "tests", "bench", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".", "mypy>=1.10", "types-PyYAML")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "bench", *session.posargs)

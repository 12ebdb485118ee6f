"""Developer tasks: `nox -s tests`, `nox -s lint`, `nox -s typecheck`, `nox -s bench`."""

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", "-q", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.5")
    session.run("ruff", "check", "bulkops", "tests", "bench", "noxfile.py")
    session.run("ruff", "format", "--check", "bulkops", "tests", "bench", "noxfile.py")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".", "mypy>=1.10", "types-PyYAML")
    session.run("mypy")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "bench", *session.posargs)

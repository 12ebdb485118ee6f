"""The real CLI against an emulator: the emulator on its own thread, commands run as a user would.

`bulkops.cli.main` runs its own event loop (anyio.run), which cannot nest inside the test's loop;
on a thread, the emulator serves while the command runs in the test's thread, exactly as it would
against Plivo. `Cli` runs commands in-process or in a subprocess and hands back what they printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bulkops.emulator import EmulatorConfig, RunningEmulator, running_emulator
from bulkops.emulator.state import Emulator

REPO = Path(__file__).resolve().parents[1]
# The commands that keep a journal and so take --state-dir.
STATEFUL = frozenset({"apply", "plan", "resume", "revert", "runs", "show"})


@contextlib.contextmanager
def emulator_thread(config: EmulatorConfig) -> Iterator[RunningEmulator]:
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        holder["stop"] = stop
        holder["loop"] = asyncio.get_running_loop()
        async with running_emulator(config, host="127.0.0.1", port=0) as running:
            holder["running"] = running
            ready.set()
            await stop.wait()

    def target() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # surface start-up failures to the test
            holder["error"] = exc
            ready.set()

    thread = threading.Thread(target=target, name="emulator", daemon=True)
    thread.start()
    ready.wait(30)
    if "error" in holder:
        raise holder["error"]
    try:
        yield holder["running"]
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(30)


@dataclass(frozen=True)
class Ran:
    """What a command did: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        """stdout parsed as JSON (what `--json` prints)."""
        return json.loads(self.out)


class Cli:
    """Run bulkops commands as a user would, pointed at an emulator; capture what happened.

    The `cli` fixture builds one per test. `Cli(state)` alone (no monkeypatch, no capsys) can
    only run subprocesses: what a module-scoped fixture can use.
    """

    def __init__(
        self,
        state: Path,
        monkeypatch: pytest.MonkeyPatch | None = None,
        capsys: pytest.CaptureFixture[str] | None = None,
    ) -> None:
        self.state = state  # --state-dir for the commands that take one, unless they are given it
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self._account: dict[str, str] | None = None

    def use(self, running: RunningEmulator, **overrides: str) -> None:
        """Make `running` the account: the PLIVO_* variables a user would set, then `overrides`.

        In-process commands see them in the environment; subprocesses get them from `env()`.
        """
        self._account = {
            "PLIVO_API_URL": running.base_url,
            "PLIVO_AUTH_ID": running.auth_id,
            "PLIVO_AUTH_TOKEN": running.auth_token,
            **overrides,
        }
        if self.monkeypatch is not None:
            for name, value in self._account.items():
                self.monkeypatch.setenv(name, value)

    def argv(self, *args: str | Path) -> list[str]:
        """The arguments, with `--state-dir STATE` added where the command takes it."""
        words = [str(arg) for arg in args]
        if words and words[0] in STATEFUL and "--state-dir" not in words:
            words += ["--state-dir", str(self.state)]
        return words

    def __call__(self, *args: str | Path) -> Ran:
        """`bulkops ARGS` in-process (`bulkops.cli.main`), with what it printed."""
        from bulkops.cli import main

        assert self.capsys is not None, "in-process commands need the `cli` fixture"
        self.capsys.readouterr()
        code = main(self.argv(*args))
        captured = self.capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    def apply(self, plan: str | Path, *extra: str | Path) -> Ran:
        """`apply PLAN --yes --json --rate 500 EXTRA...`."""
        return self("apply", plan, "--yes", "--json", "--rate", "500", *extra)

    def show(self, run_id: str) -> dict[str, dict[str, Any]]:
        """`show RUN_ID --json` (which must succeed), as number -> task."""
        ran = self("show", run_id, "--json")
        assert ran.code == 0, ran.err
        return {task["number"]: task for task in ran.json["tasks"]}

    def runs(self) -> list[dict[str, Any]]:
        """`runs --json` (which must succeed): the runs, newest first."""
        ran = self("runs", "--json")
        assert ran.code == 0, ran.err
        runs: list[dict[str, Any]] = ran.json
        return runs

    def env(self) -> dict[str, str]:
        """The environment for a subprocess: this one's, with the account from `use()`."""
        assert self._account is not None, "call use(running) first"
        return {**os.environ, **self._account}

    def command(self, *args: str | Path) -> list[str]:
        """`python -m bulkops ARGS` as a command line."""
        return [sys.executable, "-m", "bulkops", *self.argv(*args)]

    def spawn(self, *args: str | Path, **popen: Any) -> subprocess.Popen[bytes]:
        """Start `bulkops ARGS` in a subprocess with no terminal; stdout and stderr are piped."""
        options: dict[str, Any] = {
            "env": self.env(),
            "cwd": REPO,
            "stdin": subprocess.DEVNULL,
            "stdout": subprocess.PIPE,
            "stderr": subprocess.PIPE,
            **popen,
        }
        return subprocess.Popen(self.command(*args), **options)

    def run(self, *args: str | Path, timeout: float = 120, into: str | None = None) -> Ran:
        """`bulkops ARGS` in a subprocess with no terminal, to the end, with what it printed.

        With `into`, its stdout goes into that shell command (`bash -o pipefail`), as in
        `bulkops show RUN --csv | head -1`.
        """
        command = self.command(*args)
        if into is not None:
            command = ["bash", "-o", "pipefail", "-c", f"{shlex.join(command)} | {into}"]
        done = subprocess.run(
            command,
            env=self.env(),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Ran(done.returncode, done.stdout, done.stderr)


def point_cli_at(monkeypatch: pytest.MonkeyPatch, running: RunningEmulator) -> None:
    """Set the environment a user would set to use this emulator as their Plivo account."""
    monkeypatch.setenv("PLIVO_API_URL", running.base_url)
    monkeypatch.setenv("PLIVO_AUTH_ID", running.auth_id)
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", running.auth_token)


def run_cli(monkeypatch: pytest.MonkeyPatch, running: RunningEmulator, *args: str) -> int:
    """Run a bulkops command as a user would, pointed at `running`; return its exit code."""
    from bulkops.cli import main

    point_cli_at(monkeypatch, running)
    return main(list(args))


def unused_numbers(emulator: Emulator, days: int, *, guards: bool = True) -> set[str]:
    """The numbers with no visible call or message in `days` days, from the history alone.

    With `guards`, less those the default unrent guards keep: rented under 30 days ago, or on a
    10DLC campaign.
    """
    since = emulator.clock.timestamp() - days * 86_400
    today = emulator.today
    unused = set()
    for number, obj in emulator.numbers.items():
        last = emulator.last_traffic(number, visible_only=True)
        if last is not None and last.at >= since:
            continue
        added = datetime.date.fromisoformat(obj["added_on"][:10])
        if guards and (obj.get("tendlc_campaign_id") or (today - added).days < 30):
            continue
        unused.add(number)
    return unused

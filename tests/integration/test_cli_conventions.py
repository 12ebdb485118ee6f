"""What people who use Terraform or kubectl expect of a command line, against the emulator."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bulkops import __version__
from bulkops.emulator import EmulatorConfig, RunningEmulator
from bulkops.errors import ExitCode
from bulkops.run.journal import Journal
from tests.emulated import REPO, Cli, emulator_thread
from tests.factories import new_run, task

# More numbers than `plan` lists on a terminal (200), so that --full has something to add.
INVENTORY = EmulatorConfig(numbers=260, seed=5, rate_limit=None)
RELABEL = """\
version: 1
name: relabel
rules:
  - name: relabel
    select: {}
    update: {alias: "relabelled {number}"}
"""


@pytest.fixture
def running() -> Iterator[RunningEmulator]:
    with emulator_thread(INVENTORY) as emulator:
        yield emulator


@pytest.fixture
def relabel(tmp_path: Path) -> Path:
    plan = tmp_path / "relabel.yaml"
    plan.write_text(RELABEL)
    return plan


def test_version_names_the_release(cli: Cli) -> None:
    """`bulkops --version` prints the version and exits 0."""
    with pytest.raises(SystemExit) as exited:
        cli("--version")
    assert exited.value.code == 0
    assert cli.capsys is not None
    assert cli.capsys.readouterr().out.strip() == f"bulkops {__version__}"


def test_detailed_exitcode_is_4_with_changes_pending_and_0_without(
    cli: Cli, running: RunningEmulator, relabel: Path
) -> None:
    """`plan --detailed-exitcode` exits 4 while the plan would change something, 0 once not."""
    cli.use(running)
    assert cli("plan", relabel, "--json").code == ExitCode.OK  # without the flag: 0 as ever
    pending = cli("plan", relabel, "--json", "--detailed-exitcode")
    assert pending.code == ExitCode.CHANGES_PENDING == 4
    assert pending.json["summary"]["updates"] == INVENTORY.numbers
    assert cli.apply(relabel).code == 0
    settled = cli("plan", relabel, "--detailed-exitcode")
    assert settled.code == ExitCode.OK, settled.err
    assert f"{INVENTORY.numbers} already as planned" in settled.out


def test_plan_full_lists_every_task(cli: Cli, running: RunningEmulator, relabel: Path) -> None:
    """Text output stops after 200 tasks and says how to see the rest; `--full` lists them all."""
    cli.use(running)
    numbers = sorted(running.emulator.numbers)
    cut = cli("plan", relabel)
    assert cut.code == 0
    assert f"… {len(numbers) - 200} more (--full lists them all)" in cut.out
    assert sum(number in cut.out for number in numbers) == 200
    full = cli("plan", relabel, "--full")
    assert full.code == 0
    assert all(number in full.out for number in numbers)
    assert "more (" not in full.out


def _log_lines(err: str, event: str) -> list[dict[str, Any]]:
    """The JSON log lines on stderr (`--log-format json`) for `event`."""
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == event]


def test_the_last_progress_line_is_the_final_summary_with_a_real_rate(
    cli: Cli, running: RunningEmulator, relabel: Path
) -> None:
    """`apply -v` without a terminal logs progress whose last line matches the summary, rate > 0."""
    cli.use(running)
    ran = cli.apply(relabel, "-v", "--log-format", "json")
    assert ran.code == 0, ran.err
    summary = ran.json
    last = _log_lines(ran.err, "progress")[-1]
    assert last["done"] == last["total"] == summary["counts"]["succeeded"] == INVENTORY.numbers
    assert last["requests"] == summary["requests"]
    assert last["failed"] == summary["counts"]["failed"] == 0
    assert last["rate"] > 0


# Starts bulkops in a new session whose controlling terminal is the pty named first.
IN_A_TERMINAL = """\
import os, sys
os.setsid()
terminal = os.open(sys.argv[1], os.O_RDWR)  # a session leader opening a tty: its terminal now
os.dup2(terminal, 0)
os.execv(sys.executable, [sys.executable, "-m", "bulkops", *sys.argv[2:]])
"""


def _read_until(fd: int, marker: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, f"no {marker!r} on the terminal; saw {seen!r}"
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            seen += os.read(fd, 4096)
    return seen


@pytest.mark.parametrize(("answer", "code"), [(b"y", 0), (b"n", 3)])
def test_the_question_goes_to_the_terminal_when_stdout_is_a_pipe(
    cli: Cli, running: RunningEmulator, relabel: Path, answer: bytes, code: int
) -> None:
    """`bulkops apply PLAN | tee log` asks on the terminal, takes the answer there, and the pipe
    gets the diff and the summary but never the question."""
    cli.use(running)
    master, slave = pty.openpty()
    try:
        command = [sys.executable, "-c", IN_A_TERMINAL, os.ttyname(slave)]
        apply = subprocess.Popen(
            [*command, *cli.argv("apply", relabel, "--rate", "500")],
            env=cli.env(),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        asked = _read_until(master, b"[y/N]")
        os.write(master, answer + b"\n")
        out, err = apply.communicate(timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert apply.returncode == code, err.decode()
    assert b"Apply 260 changes" in asked
    assert b"[y/N]" not in out + err
    assert b"relabelled" in out  # the diff went down the pipe
    mutated = len(running.emulator.mutations)
    assert mutated == (INVENTORY.numbers if answer == b"y" else 0)


def test_listing_shows_progress_up_to_the_whole_account(
    cli: Cli, running: RunningEmulator, relabel: Path
) -> None:
    """`plan -v` without a terminal logs the listing as it goes, ending at all 260 numbers."""
    cli.use(running)
    ran = cli("plan", relabel, "--json", "-v", "--log-format", "json")
    assert ran.code == 0, ran.err
    listing = [line for line in _log_lines(ran.err, "progress") if line.get("phase") == "listing"]
    assert listing[-1]["done"] == listing[-1]["total"] == INVENTORY.numbers
    assert listing[0]["done"] < INVENTORY.numbers  # the first line came while it went on


def test_resume_shows_its_re_check(cli: Cli, running: RunningEmulator) -> None:
    """`resume -v` reports the re-check of the tasks left, number by number, to the last."""
    cli.use(running)
    numbers = sorted(running.emulator.numbers)[:3]
    run_id = new_run(
        Journal(cli.state),
        [task(number) for number in numbers],
        auth_id=running.auth_id,
        location=running.base_url,
        settings={"sandbox": False, "limits": {"rate": 500, "concurrency": 2}},
    )
    ran = cli("resume", run_id, "--yes", "--json", "-v", "--log-format", "json")
    assert ran.code in (0, 1), ran.err
    heard = [line for line in _log_lines(ran.err, "progress") if line.get("phase") == "re-checking"]
    assert heard[-1]["done"] == heard[-1]["total"] == 3

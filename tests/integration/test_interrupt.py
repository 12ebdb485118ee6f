"""Stopping an apply: Ctrl-C or SIGTERM leaves a resumable run; a run is never run twice at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bulkops.cli import main
from bulkops.emulator import EmulatorConfig, Faults, RunningEmulator
from bulkops.run.journal import Journal
from tests.emulated import emulator_thread, point_cli_at

REPO = Path(__file__).resolve().parents[2]
# 76 US numbers to relabel; 50 ms per request at concurrency 1 keeps the run going for seconds.
SLOW = EmulatorConfig(numbers=100, seed=3, rate_limit=None, faults=Faults(latency=0.05))
PLAN = """\
version: 1
name: relabel-us
rules:
  - name: relabel
    select: {number_startswith: "1"}
    update: {alias: "kept {number}"}
"""


def _env(running: RunningEmulator) -> dict[str, str]:
    return {
        **os.environ,
        "PLIVO_API_URL": running.base_url,
        "PLIVO_AUTH_ID": running.auth_id,
        "PLIVO_AUTH_TOKEN": running.auth_token,
    }


@dataclass(frozen=True)
class Interrupted:
    running: RunningEmulator
    state: Path
    run_id: str
    code: int
    summary: dict[str, Any]
    selected: frozenset[str]


def interrupt_apply(running: RunningEmulator, tmp: Path, signum: int) -> Interrupted:
    """Start `apply` in a subprocess, send `signum` once a few numbers changed, wait for it."""
    plan = tmp / "relabel.yaml"
    plan.write_text(PLAN)
    state = tmp / "state"
    selected = frozenset(n for n in running.emulator.numbers if n.startswith("1"))
    command = [sys.executable, "-m", "bulkops", "apply", str(plan), "--yes", "--json"]
    command += ["--rate", "500", "--concurrency", "1", "--state-dir", str(state)]
    apply = subprocess.Popen(
        command, env=_env(running), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while len(running.emulator.mutations) < 3:
            assert apply.poll() is None, apply.communicate()[1].decode()
            assert time.monotonic() < deadline, "the apply subprocess made no progress"
            time.sleep(0.01)
        apply.send_signal(signum)
        out, err = apply.communicate(timeout=60)
    finally:
        if apply.poll() is None:
            apply.kill()
            apply.wait()
    summary = json.loads(out) if out.strip() else {"stderr": err.decode()}
    return Interrupted(
        running, state, summary.get("run_id", ""), apply.returncode, summary, selected
    )


def runs_json(state: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["runs", "--json", "--state-dir", str(state)]) == 0
    runs: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return runs


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stopped_apply_exits_130_and_resume_finishes_it(
    signum: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C or SIGTERM mid-run exits 130, run interrupted; resume ends it, each number once."""
    with emulator_thread(SLOW) as running:
        stopped = interrupt_apply(running, tmp_path, signum)
        assert stopped.code == 130, stopped.summary
        assert stopped.summary["status"] == "interrupted"
        changed_before_resume = {m.number for m in running.emulator.mutations}
        assert len(changed_before_resume) < len(stopped.selected), "stopped before the end"

        [run] = runs_json(stopped.state, capsys)
        assert run["run_id"] == stopped.run_id
        assert run["status"] == "interrupted"
        assert run["counts"]["succeeded"] == len(changed_before_resume), "in-flight work recorded"
        assert Journal(stopped.state).counts(stopped.run_id)["inflight"] == 0

        point_cli_at(monkeypatch, running)
        code = main(
            ["resume", "--yes", "--json", "--concurrency", "8", "--state-dir", str(stopped.state)]
        )
        summary = json.loads(capsys.readouterr().out)
        final = running.emulator.numbers
        changes = Counter(m.number for m in running.emulator.mutations)
    assert code == 0, summary
    assert summary["run_id"] == stopped.run_id
    assert summary["status"] == "finished"
    assert summary["counts"]["succeeded"] == len(stopped.selected)
    assert set(changes) == stopped.selected
    assert max(changes.values()) == 1, "no number was changed twice"
    assert all(final[n]["alias"] == f"kept {n}" for n in stopped.selected)
    assert runs_json(stopped.state, capsys)[0]["status"] == "finished"


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Interrupted]:
    """An emulator and a run in it that was stopped with Ctrl-C part-way."""
    with emulator_thread(SLOW) as running:
        stopped = interrupt_apply(running, tmp_path_factory.mktemp("interrupted"), signal.SIGINT)
        assert stopped.code == 130, stopped.summary
        yield stopped


def test_resume_refuses_a_run_another_process_holds(
    interrupted: Interrupted, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """While another process holds a run, `resume` of it exits 3 and sends nothing."""
    running = interrupted.running
    served = len(running.emulator.served)
    point_cli_at(monkeypatch, running)
    capsys.readouterr()
    with Journal(interrupted.state).lock(interrupted.run_id):
        code = main(["resume", interrupted.run_id, "--yes", "--state-dir", str(interrupted.state)])
    err = capsys.readouterr().err
    assert code == 3
    assert "another bulkops process" in err
    assert len(running.emulator.served) == served


def test_resume_refuses_a_run_made_for_another_account(
    interrupted: Interrupted, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Resuming with another PLIVO_AUTH_ID than the run was made for exits 2, sending nothing."""
    running = interrupted.running
    served = len(running.emulator.served)
    point_cli_at(monkeypatch, running)
    other = "MA" + "Z" * 18
    monkeypatch.setenv("PLIVO_AUTH_ID", other)
    capsys.readouterr()
    code = main(["resume", interrupted.run_id, "--yes", "--state-dir", str(interrupted.state)])
    err = capsys.readouterr().err
    assert code == 2
    assert running.auth_id in err
    assert other in err
    assert len(running.emulator.served) == served


def test_resume_of_an_unknown_run_is_a_usage_error(
    interrupted: Interrupted, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`resume` with a run id the state directory does not hold exits 2 and sends nothing."""
    running = interrupted.running
    served = len(running.emulator.served)
    point_cli_at(monkeypatch, running)
    capsys.readouterr()
    code = main(
        ["resume", "20200101-000000-abcdef", "--yes", "--state-dir", str(interrupted.state)]
    )
    assert code == 2
    assert "no run '20200101-000000-abcdef'" in capsys.readouterr().err
    assert len(running.emulator.served) == served

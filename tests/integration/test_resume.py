"""A run killed at any moment resumes without losing or repeating work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bulkops.cli import main
from bulkops.emulator import EmulatorConfig, RunningEmulator
from tests.emulated import emulator_thread, point_cli_at

MIXED_PLAN = """\
version: 1
name: mixed
rules:
  - name: relabel-local
    select: {type: local}
    update: {alias: "kept {number}"}
  - name: drop-mobile
    select: {type: [mobile, national, fixed]}
    unrent: true
    guards: {keep_rented_within: 0d, keep_tendlc_campaign: false} # this test is about resume
"""


def _env(running: RunningEmulator) -> dict[str, str]:
    return {
        **os.environ,
        "PLIVO_API_URL": running.base_url,
        "PLIVO_AUTH_ID": running.auth_id,
        "PLIVO_AUTH_TOKEN": running.auth_token,
    }


def _wait_for_mutations(running: RunningEmulator, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(running.emulator.mutations) < count:
        assert time.monotonic() < deadline, "the apply subprocess made no progress"
        time.sleep(0.02)


@pytest.mark.slow
def test_kill_9_then_resume_finishes_every_task_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """kill -9 mid-run, then resume: every number ends as planned and no unrent is repeated."""
    plan = tmp_path / "mixed.yaml"
    plan.write_text(MIXED_PLAN)
    state = tmp_path / "state"
    with emulator_thread(EmulatorConfig(numbers=500, seed=9, rate_limit=None)) as running:
        numbers = running.emulator.numbers
        locals_ = {n for n, o in numbers.items() if o["number_type"] == "local"}
        dropped = ("mobile", "national", "fixed")
        others = {n for n, o in numbers.items() if o["number_type"] in dropped}
        assert locals_
        assert others
        apply = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bulkops",
                "apply",
                str(plan),
                "--yes",
                "--rate",
                "150",
                "--state-dir",
                str(state),
            ],
            env=_env(running),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _wait_for_mutations(running, 120)
        apply.send_signal(signal.SIGKILL)
        apply.wait(30)
        done_before_kill = len(running.emulator.mutations)
        assert done_before_kill < len(locals_) + len(others), "killed before the end"

        point_cli_at(monkeypatch, running)
        code = main(["resume", "--yes", "--json", "--state-dir", str(state)])
        summary = json.loads(capsys.readouterr().out)

        final = running.emulator.numbers
        deletes = Counter(m.number for m in running.emulator.mutations if m.method == "DELETE")
    assert code == 0, summary
    assert summary["status"] == "finished"
    assert not others & set(final), "every selected number was unrented"
    assert set(deletes) == others
    assert max(deletes.values()) == 1, "no unrent sent twice"
    for number in locals_:
        assert final[number]["alias"] == f"kept {number}"


def test_resuming_a_finished_run_sends_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Resume of a run that completed says so and sends no request at all."""
    plan = tmp_path / "mixed.yaml"
    plan.write_text(MIXED_PLAN)
    with emulator_thread(EmulatorConfig(numbers=120, seed=4, rate_limit=None)) as running:
        point_cli_at(monkeypatch, running)
        assert (
            main(["apply", str(plan), "--yes", "--rate", "500", "--state-dir", str(tmp_path)]) == 0
        )
        run_id = json.loads(_runs_json(tmp_path, capsys))[0]["run_id"]
        served = len(running.emulator.served)
        assert main(["resume", run_id, "--yes", "--state-dir", str(tmp_path)]) == 0
        assert len(running.emulator.served) == served
    assert "nothing to send" in capsys.readouterr().out


def _runs_json(state: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["runs", "--json", "--state-dir", str(state)]) == 0
    return capsys.readouterr().out

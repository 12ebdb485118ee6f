"""Resume in awkward places: a second Ctrl-C, a refused retry, the wrong place to resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulkops.cli import main
from bulkops.emulator import EmulatorConfig, Faults
from bulkops.run.journal import Journal, Mark
from tests.emulated import emulator_thread, point_cli_at
from tests.factories import new_run, task
from tests.integration.test_apply_guards import apply_json, fail_updates, show_tasks, write_plan
from tests.integration.test_interrupt import PLAN, REPO, _env

SLOW = EmulatorConfig(numbers=100, seed=3, rate_limit=None, faults=Faults(latency=0.2))


def test_a_second_ctrl_c_aborts_at_once_and_leaves_a_resumable_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C twice: exit 130 without a traceback, the run reads interrupted, resume finishes it."""
    plan = tmp_path / "relabel.yaml"
    plan.write_text(PLAN)
    state = tmp_path / "state"
    with emulator_thread(SLOW) as running:
        command = [sys.executable, "-m", "bulkops", "apply", str(plan), "--yes", "--json"]
        command += ["--rate", "500", "--concurrency", "4", "--state-dir", str(state)]
        apply = subprocess.Popen(
            command, env=_env(running), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while len(running.emulator.mutations) < 3:
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.01)
        apply.send_signal(signal.SIGINT)
        time.sleep(0.05)
        apply.send_signal(signal.SIGINT)
        _out, err = apply.communicate(timeout=60)
        assert apply.returncode == 130, err.decode()
        assert b"Traceback" not in err
        point_cli_at(monkeypatch, running)
        capsys.readouterr()
        assert main(["runs", "--json", "--state-dir", str(state)]) == 0
        [run] = json.loads(capsys.readouterr().out)
        assert run["status"] == "interrupted"
        assert main(["resume", "--yes", "--json", "--state-dir", str(state)]) == 0
        numbers = running.emulator.numbers
        relabelled = [n for n in numbers if n.startswith("1")]
    assert all(numbers[n]["alias"] == f"kept {n}" for n in relabelled)


def test_a_refused_retry_keeps_the_recorded_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`resume --retry-failed` that is not confirmed changes nothing, not even the journal."""
    plan = write_plan(tmp_path / "p.yaml", "{type: local}", '{alias: "Nope {number}"}')
    state = tmp_path / "state"
    with emulator_thread(EmulatorConfig(numbers=40, seed=3, rate_limit=None)) as running:
        fail_updates(running, 400, "refused for the test", when=lambda _number: True)
        code, summary, _ = apply_json(monkeypatch, running, capsys, plan, state)
        assert code == 1
        monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115
        assert main(["resume", summary["run_id"], "--retry-failed", "--state-dir", str(state)]) == 3
        tasks = show_tasks(state, summary["run_id"], capsys)
    assert tasks
    assert {task["outcome"] for task in tasks.values()} == {"failed"}
    assert all("refused for the test" in task["error"] for task in tasks.values())


def test_a_real_account_run_cannot_be_resumed_in_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`resume --sandbox` of a run made against an account is refused before anything runs."""
    state = tmp_path / "state"
    journal = Journal(state)
    run_id = new_run(
        journal, [task()], settings={"sandbox": False, "limits": {"rate": 10, "concurrency": 1}}
    )
    code = main(["resume", run_id, "--sandbox", "--yes", "--state-dir", str(state)])
    assert code == 2
    assert "not the sandbox" in capsys.readouterr().err
    assert journal.counts(run_id)["pending"] == 1


def test_resume_without_an_id_skips_runs_with_nothing_left(tmp_path: Path) -> None:
    """The latest run that still has tasks to send is the one resume picks."""
    journal = Journal(tmp_path)
    rows = [task(f"1415555000{i}") for i in range(2)]
    older = new_run(journal, rows, plan_name="a")
    time.sleep(1.1)  # run ids and creation times are to the second
    newer = new_run(journal, rows, plan_name="b")
    journal.record(newer, [Mark(0, "succeeded", 1), Mark(1, "failed", 1, "no")])
    journal.set_status(newer, "stopped")
    latest = journal.latest_unfinished()
    assert latest is not None
    assert latest.id == older

"""Resume in awkward places: a second Ctrl-C, a refused retry, the wrong place to resume."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from bulkops.emulator import EmulatorConfig, Faults
from bulkops.run import execution
from bulkops.run.journal import Journal, Mark
from tests.emulated import Cli, emulator_thread
from tests.factories import new_run, task
from tests.integration.test_apply_guards import fail_updates, write_plan
from tests.integration.test_interrupt import PLAN

SLOW = EmulatorConfig(numbers=100, seed=3, rate_limit=None, faults=Faults(latency=0.2))


def test_a_second_ctrl_c_aborts_at_once_and_leaves_a_resumable_run(
    tmp_path: Path, cli: Cli
) -> None:
    """Ctrl-C twice: exit 130 without a traceback, the run reads interrupted, resume finishes it."""
    plan = tmp_path / "relabel.yaml"
    plan.write_text(PLAN)
    with emulator_thread(SLOW) as running:
        cli.use(running)
        apply = cli.spawn("apply", plan, "--yes", "--json", "--rate", "500", "--concurrency", "4")
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
        [run] = cli.runs()
        assert run["status"] == "interrupted"
        assert cli("resume", "--yes", "--json").code == 0
        numbers = running.emulator.numbers
        relabelled = [n for n in numbers if n.startswith("1")]
    assert all(numbers[n]["alias"] == f"kept {n}" for n in relabelled)


def test_a_refused_retry_keeps_the_recorded_failures(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`resume --retry-failed` that is not confirmed changes nothing, not even the journal."""
    plan = write_plan(tmp_path / "p.yaml", "{type: local}", '{alias: "Nope {number}"}')
    with emulator_thread(EmulatorConfig(numbers=40, seed=3, rate_limit=None)) as running:
        cli.use(running)
        fail_updates(running, 400, "refused for the test", when=lambda _number: True)
        ran = cli.apply(plan)
        summary = ran.json
        assert ran.code == 1
        monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115
        assert cli("resume", summary["run_id"], "--retry-failed").code == 3
        tasks = cli.show(summary["run_id"])
    assert tasks
    assert {task["outcome"] for task in tasks.values()} == {"failed"}
    assert all("refused for the test" in task["error"] for task in tasks.values())


def test_a_real_account_run_cannot_be_resumed_in_the_sandbox(cli: Cli) -> None:
    """`resume --sandbox` of a run made against an account is refused before anything runs."""
    journal = Journal(cli.state)
    run_id = new_run(
        journal, [task()], settings={"sandbox": False, "limits": {"rate": 10, "concurrency": 1}}
    )
    ran = cli("resume", run_id, "--sandbox", "--yes")
    assert ran.code == 2
    assert "not the sandbox" in ran.err
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
    latest = execution.resumable(journal)[0]
    assert latest is not None
    assert latest.id == older


@pytest.mark.parametrize("ref", ["latest", "PREFIX"])
def test_resume_takes_latest_or_a_prefix_of_the_run_id(cli: Cli, ref: str) -> None:
    """`resume latest` and `resume <first characters>` pick the run its full id names."""
    journal = Journal(cli.state)
    run_id = new_run(
        journal, [task()], settings={"sandbox": False, "limits": {"rate": 10, "concurrency": 1}}
    )
    ran = cli("resume", run_id[:-2] if ref == "PREFIX" else ref, "--sandbox", "--yes")
    assert ran.code == 2, ran.err
    assert f"run {run_id} was made against a Plivo account" in ran.err

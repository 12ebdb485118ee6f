"""`bulkops runs` and `bulkops show`: what happened in a run, per run and per number."""

from __future__ import annotations

import csv
import gc
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bulkops.cli import main
from bulkops.emulator import EmulatorConfig
from tests.emulated import emulator_thread, point_cli_at

INVENTORY = EmulatorConfig(numbers=100, seed=3, rate_limit=None)
PLAN = """\
version: 1
name: cnam-on
rules:
  - name: cnam
    select: {{numbers: [{numbers}]}}
    update: {{cnam_lookup: enabled}}
"""


@dataclass(frozen=True)
class FinishedRun:
    state: Path
    run_id: str
    changed: tuple[str, ...]  # cnam_lookup disabled → enabled
    refused: str  # a mobile number: Plivo refuses cnam_lookup on it
    already: str  # cnam_lookup already enabled


@pytest.fixture
def finished_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> FinishedRun:
    """An applied run with two successes, one failure (HTTP 400) and one unchanged number."""
    state = tmp_path / "state"
    with emulator_thread(INVENTORY) as running:
        numbers = running.emulator.numbers
        changed = tuple(sorted(n for n, o in numbers.items() if o["cnam_lookup"] == "disabled")[:2])
        already = min(n for n, o in numbers.items() if o["cnam_lookup"] == "enabled")
        refused = min(n for n, o in numbers.items() if o["number_type"] == "mobile")
        listed = ", ".join(f'"{n}"' for n in (*changed, refused, already))
        plan = tmp_path / "cnam.yaml"
        plan.write_text(PLAN.format(numbers=listed))
        point_cli_at(monkeypatch, running)
        code = main(
            ["apply", str(plan), "--yes", "--json", "--rate", "500", "--state-dir", str(state)]
        )
        summary = json.loads(capsys.readouterr().out)
    # The in-process apply's journal connection closes when collected, and closing checkpoints
    # the WAL into the file: have that happen now, not in the middle of a test.
    gc.collect()
    assert code == 1, "one task failed"
    return FinishedRun(state, summary["run_id"], changed, refused, already)


def cli_out(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_runs_lists_the_run_with_its_plan_status_and_counts(
    finished_run: FinishedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    """`runs --json` shows the run by id, with the plan's name, its status and outcome counts."""
    code, out, _ = cli_out(capsys, "runs", "--json", "--state-dir", str(finished_run.state))
    assert code == 0
    runs = json.loads(out)
    assert [run["run_id"] for run in runs] == [finished_run.run_id]
    run = runs[0]
    assert run["plan"] == "cnam-on"
    assert run["status"] == "finished"
    assert run["started"]
    assert run["counts"] == {
        "planned": 4,
        "succeeded": 2,
        "failed": 1,
        "unchanged": 1,
        "stale": 0,
        "gone": 0,
        "pending": 0,
        "skipped": 0,
    }


def test_runs_on_an_empty_state_dir_lists_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`runs --json` before any apply prints an empty list and exits 0."""
    code, out, _ = cli_out(capsys, "runs", "--json", "--state-dir", str(tmp_path))
    assert code == 0
    assert json.loads(out) == []


def test_show_json_gives_each_numbers_outcome(
    finished_run: FinishedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    """`show RUN_ID --json` gives every number's outcome, before → after, attempts and error."""
    code, out, _ = cli_out(
        capsys, "show", finished_run.run_id, "--json", "--state-dir", str(finished_run.state)
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["run_id"] == finished_run.run_id
    assert doc["plan"] == "cnam-on"
    assert doc["status"] == "finished"
    tasks: dict[str, dict[str, Any]] = {task["number"]: task for task in doc["tasks"]}
    assert len(tasks) == len(doc["tasks"]) == 4
    flip = {"cnam_lookup": {"before": "disabled", "after": "enabled"}}
    for number in finished_run.changed:
        assert tasks[number]["outcome"] == "succeeded"
        assert tasks[number]["attempts"] == 1
        assert tasks[number]["error"] is None
        assert tasks[number]["changes"] == flip
    refused = tasks[finished_run.refused]
    assert refused["outcome"] == "failed"
    assert refused["attempts"] == 1
    assert refused["changes"] == {"cnam_lookup": {"before": None, "after": "enabled"}}
    assert "US local and toll-free numbers only" in refused["error"]
    already = tasks[finished_run.already]
    assert already["outcome"] == "unchanged"
    assert already["attempts"] == 0
    assert already["changes"] == {}


def test_show_csv_has_one_row_per_planned_number(
    finished_run: FinishedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    """`show RUN_ID --csv` is valid CSV with a header and one row per number of the run."""
    code, out, _ = cli_out(
        capsys, "show", finished_run.run_id, "--csv", "--state-dir", str(finished_run.state)
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    by_number = {row["number"]: row for row in rows}
    assert len(rows) == len(by_number) == 4
    assert {n: r["outcome"] for n, r in by_number.items()} == {
        **dict.fromkeys(finished_run.changed, "succeeded"),
        finished_run.refused: "failed",
        finished_run.already: "unchanged",
    }
    assert "US local and toll-free numbers only" in by_number[finished_run.refused]["error"]
    assert by_number[finished_run.changed[0]]["changes"] == "cnam_lookup: disabled -> enabled"
    assert by_number[finished_run.changed[0]]["attempts"] == "1"


def test_show_of_an_unknown_run_is_a_usage_error(
    finished_run: FinishedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    """`show` with a run id that is not in the state directory exits 2 and says so."""
    code, out, err = cli_out(
        capsys, "show", "20200101-000000-abcdef", "--json", "--state-dir", str(finished_run.state)
    )
    assert code == 2
    assert json.loads(out) == {"exit_code": 2, "reason": json.loads(out)["reason"]}
    assert "no run '20200101-000000-abcdef'" in json.loads(out)["reason"]
    assert "no run '20200101-000000-abcdef'" in err
    assert "bulkops runs" in err


def _snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file and directory under `root`: mode, mtime and content."""
    found: dict[str, tuple[int, int, bytes]] = {}
    for path in sorted(root.rglob("*")):
        status = path.stat()
        content = path.read_bytes() if path.is_file() else b""
        found[str(path.relative_to(root))] = (status.st_mode, status.st_mtime_ns, content)
    return found


@pytest.mark.parametrize(
    "args",
    [("runs",), ("runs", "--json"), ("show", "RUN"), ("show", "RUN", "--json")],
    ids=" ".join,
)
def test_runs_and_show_read_a_read_only_state_dir_without_writing(
    finished_run: FinishedRun, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    """On a state directory without write permission, `runs` and `show` work and change nothing.

    The owner write bit is what bulkops honours, so this holds even when the tests run as root.
    """
    state = finished_run.state
    for path in [state, *state.rglob("*")]:
        path.chmod(0o500 if path.is_dir() else 0o400)
    before = _snapshot(state)
    try:
        words = [finished_run.run_id if word == "RUN" else word for word in args]
        code, out, err = cli_out(capsys, *words, "--state-dir", str(state))
        after = _snapshot(state)
    finally:
        for path in [state, *state.rglob("*")]:
            path.chmod(0o700 if path.is_dir() else 0o600)
    assert code == 0, err
    assert finished_run.run_id in out
    assert finished_run.changed[0] in out or args[0] == "runs"
    assert after == before


def test_runs_and_show_create_no_lock_files(
    finished_run: FinishedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    """Looking at runs takes no lock: no `locks` directory appears in a writable state dir."""
    locks = finished_run.state / "locks"
    for path in locks.iterdir():
        path.unlink()
    locks.rmdir()
    for args in (("runs",), ("show", finished_run.run_id)):
        code, _, err = cli_out(capsys, *args, "--state-dir", str(finished_run.state))
        assert code == 0, err
    assert not locks.exists()


@pytest.mark.parametrize("ref", ["latest", "PREFIX"])
def test_show_takes_latest_or_a_prefix_of_the_run_id(
    finished_run: FinishedRun, capsys: pytest.CaptureFixture[str], ref: str
) -> None:
    """`show latest` and `show <first characters of the id>` show the same run as its full id."""
    ref = finished_run.run_id[:17] if ref == "PREFIX" else ref
    code, out, err = cli_out(capsys, "show", ref, "--json", "--state-dir", str(finished_run.state))
    assert code == 0, err
    assert json.loads(out)["run_id"] == finished_run.run_id


def test_bulkops_state_dir_is_the_default_and_the_flag_wins(
    finished_run: FinishedRun,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """$BULKOPS_STATE_DIR replaces ./.bulkops; --state-dir overrides the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BULKOPS_STATE_DIR", str(finished_run.state))
    code, out, _ = cli_out(capsys, "runs", "--json")
    assert code == 0
    assert [run["run_id"] for run in json.loads(out)] == [finished_run.run_id]
    code, out, _ = cli_out(capsys, "show", "latest", "--json")
    assert (code, json.loads(out)["run_id"]) == (0, finished_run.run_id)
    empty = tmp_path / "elsewhere"
    code, out, _ = cli_out(capsys, "runs", "--json", "--state-dir", str(empty))
    assert (code, json.loads(out)) == (0, [])
    assert not (tmp_path / ".bulkops").exists()


def test_runs_prune_forgets_finished_runs_older_than_asked(
    finished_run: FinishedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    """`runs prune --older-than 30d` keeps today's run; `0s` prunes it; --dry-run only says so."""
    state = ("--state-dir", str(finished_run.state))
    code, out, _ = cli_out(capsys, "runs", "prune", "--older-than", "30d", "--json", *state)
    assert code == 0
    assert json.loads(out)["pruned"] == []
    code, out, _ = cli_out(capsys, "runs", "prune", "--older-than", "0s", "--dry-run", *state)
    assert code == 0
    assert "would prune 1 run last active before" in out
    assert finished_run.run_id in out
    code, out, _ = cli_out(capsys, "runs", "--json", *state)
    assert [run["run_id"] for run in json.loads(out)] == [finished_run.run_id]
    code, out, _ = cli_out(capsys, "runs", "prune", "--older-than", "0s", "--json", *state)
    assert (code, json.loads(out)["pruned"]) == (0, [finished_run.run_id])
    assert f"{finished_run.run_id}.lock" in json.loads(out)["lock_files"]
    code, out, _ = cli_out(capsys, "runs", "--json", *state)
    assert json.loads(out) == []


def test_runs_prune_needs_an_age_with_a_unit(
    finished_run: FinishedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--older-than 30` (no unit) is a usage error: exit 2, nothing pruned."""
    with pytest.raises(SystemExit) as exited:
        main(["runs", "prune", "--older-than", "30", "--state-dir", str(finished_run.state)])
    assert exited.value.code == 2
    assert "like 30d" in capsys.readouterr().err

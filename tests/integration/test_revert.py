"""`bulkops revert` against the emulator: a run undone, safely, from its journal alone."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bulkops.emulator import EmulatorConfig, RunningEmulator
from bulkops.numbers import UPDATE_FIELDS, WRITE_ONLY_FIELDS, NumberRecord
from bulkops.report.revert_view import CONSOLE_NOTE
from tests.emulated import Cli, emulator_thread

IVR = "29986316244302815"
MARKETING, SALES = "SAMKTG7Q2X9D4K1B8N3V", "SASALE0N4W7E1U3I6O9A"
CONFIG = EmulatorConfig(numbers=300, seed=7, rate_limit=None)

Obj = dict[str, Any]


def observed(obj: Obj) -> dict[str, str | None]:
    """A number's update fields as bulkops reads them: what a revert can set back."""
    record = NumberRecord.from_api(obj)
    return {f: record.observed(f) for f in UPDATE_FIELDS if f not in WRITE_ONLY_FIELDS}


def account(running: RunningEmulator) -> dict[str, dict[str, str | None]]:
    return {number: observed(obj) for number, obj in running.emulator.numbers.items()}


def marketing_numbers(running: RunningEmulator, count: int = 8) -> list[str]:
    """US local numbers of the Marketing subaccount: every update field applies to them."""
    found = [
        number
        for number, obj in sorted(running.emulator.numbers.items())
        if obj["country"] == "United States"
        and obj["number_type"] == "local"
        and obj["sub_account"] == MARKETING
    ]
    assert len(found) >= count, "the inventory lacks the numbers this test needs"
    return found[:count]


def write_plan(path: Path, body: str, numbers: list[str]) -> Path:
    listed = ", ".join(f'"{number}"' for number in numbers)
    path.write_text(
        f"version: 1\nname: to-undo\nrules:\n  - name: r\n"
        f"    select: {{numbers: [{listed}]}}\n{body}",
        encoding="utf-8",
    )
    return path


UPDATE_EVERYTHING = f"""\
    update:
      alias: "moved {{number}}"
      app_id: "{IVR}"
      subaccount: "{SALES}"
      cnam_lookup: enabled
      caller_reputation: enabled
      profile_uuid: "prof-revert-test"
"""
UNRENT = """\
    unrent: true
    guards: {keep_rented_within: 0d, keep_tendlc_campaign: false}
"""


def apply_run(cli: Cli, plan: Path) -> str:
    ran = cli.apply(plan)
    assert ran.code == 0, ran.err
    run_id: str = ran.json["run_id"]
    return run_id


def test_applying_a_runs_revert_puts_the_account_back_as_it_was(cli: Cli, tmp_path: Path) -> None:
    """Apply, revert --out, apply the revert: every field the run changed reads as before."""
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        chosen = marketing_numbers(running)
        before = account(running)
        run_id = apply_run(cli, write_plan(tmp_path / "p.yaml", UPDATE_EVERYTHING, chosen))
        changed = account(running)
        assert all(changed[n] != before[n] for n in chosen), "the run must change every number"

        served = len(running.emulator.served)
        shown = cli("revert", run_id, "--out", tmp_path / "undo.json")
        assert shown.code == 0, shown.err
        assert len(running.emulator.served) == served, "revert itself sends no request"
        assert "revert of run " + run_id in shown.out

        undo = cli.apply(tmp_path / "undo.json")
        assert undo.code == 0, undo.err
        assert undo.json["counts"]["succeeded"] == len(chosen)
        assert account(running) == before


def test_a_number_changed_again_since_the_run_is_stale_and_kept(cli: Cli, tmp_path: Path) -> None:
    """A number someone changed after the run is left as they made it; the others go back."""
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        chosen = marketing_numbers(running, 4)
        before = account(running)
        run_id = apply_run(cli, write_plan(tmp_path / "p.yaml", UPDATE_EVERYTHING, chosen))
        assert cli("revert", run_id, "--out", tmp_path / "undo.json").code == 0
        touched = chosen[0]
        running.emulator.update_number(touched, {"alias": "renamed by hand"})
        newer = observed(running.emulator.numbers[touched])
        running.emulator.mutations.clear()

        undo = cli.apply(tmp_path / "undo.json")
        outcomes = cli.show(undo.json["run_id"])
        now = account(running)

    assert undo.code == 1, "a stale task makes the run exit 1"
    assert outcomes[touched]["outcome"] == "stale"
    assert now[touched] == newer, "the newer change was not overwritten"
    assert touched not in {m.number for m in running.emulator.mutations}
    assert all(now[n] == before[n] for n in chosen[1:])


def test_a_runs_unrents_are_listed_with_their_time_and_the_console_note(
    cli: Cli, tmp_path: Path
) -> None:
    """Unrented numbers are listed with when and how to reclaim them; nothing is bought."""
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        gone = marketing_numbers(running, 3)
        run_id = apply_run(cli, write_plan(tmp_path / "p.yaml", UNRENT, gone))
        [info] = [run for run in cli.runs() if run["run_id"] == run_id]
        started = datetime.fromisoformat(info["started"])

        as_json = cli("revert", run_id, "--json", "--out", tmp_path / "undo.json")
        as_text = cli("revert", run_id)
        applied = cli.apply(tmp_path / "undo.json")
        served = list(running.emulator.served)

    doc = as_json.json
    assert as_json.code == 0
    assert doc["tasks"] == [], "nothing the Number API could do"
    assert [entry["number"] for entry in doc["unrented"]] == sorted(gone)
    for entry in doc["unrented"]:
        first, last = (datetime.fromisoformat(t) for t in entry["unrented_between"])
        assert first == started
        assert first <= last
        assert datetime.fromisoformat(entry["console_reclaim_until"]) == started + timedelta(days=5)
    assert CONSOLE_NOTE in doc["notes"]
    assert all(number in as_text.out for number in gone)
    assert "reclaimable from Plivo's console until" in as_text.out
    assert info["started"] in as_text.out
    assert applied.code == 0
    assert not [s for s in served if "PhoneNumber" in s.path], "no number was bought back"
    assert not [s for s in served if s.method == "POST"]


def test_revert_json_has_the_shape_of_plan_json(cli: Cli, tmp_path: Path) -> None:
    """`revert --json` is `plan --json`'s document, with the revert's own keys added."""
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        plan = write_plan(tmp_path / "p.yaml", UPDATE_EVERYTHING, marketing_numbers(running, 2))
        planned = cli("plan", plan, "--json").json
        reverted = cli("revert", apply_run(cli, plan), "--json").json

    assert set(planned) <= set(reverted)
    assert set(planned["summary"]) == set(reverted["summary"])
    assert [set(task) for task in reverted["tasks"]] == [set(task) for task in planned["tasks"]]
    # The revert of each change swaps its before and after.
    undo = {task["number"]: task["changes"] for task in reverted["tasks"]}
    for task in planned["tasks"]:
        for field, change in task["changes"].items():
            if field in undo[task["number"]]:
                swapped = {"before": change["after"], "after": change["before"]}
                assert undo[task["number"]][field] == swapped, field


def test_an_unknown_run_is_a_clear_usage_error(cli: Cli, tmp_path: Path) -> None:
    """A run id that is not in the journal: exit 2 and one line, never a traceback."""
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        plan = write_plan(tmp_path / "p.yaml", UNRENT, marketing_numbers(running, 1))
        apply_run(cli, plan)
        ran = cli("revert", "20000101-000000-ffffff")
        as_json = cli("revert", "20000101-000000-ffffff", "--json")

    assert ran.code == 2
    assert "no run '20000101-000000-ffffff'" in ran.err
    assert "Traceback" not in ran.err
    assert as_json.json["exit_code"] == 2


def test_revert_without_a_journal_says_so(cli: Cli) -> None:
    """Reverting in a state directory with no journal names it, and exits as `show` does."""
    ran = cli("revert", "20000101-000000-ffffff")
    assert ran.code == cli("show", "20000101-000000-ffffff").code == 1, ran.err
    assert f"no bulkops journal in {cli.state}" in ran.err


def test_a_revert_applies_only_to_the_runs_account(cli: Cli, tmp_path: Path) -> None:
    """The saved revert carries the run's account: another account refuses it (exit 2)."""
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        plan = write_plan(tmp_path / "p.yaml", UPDATE_EVERYTHING, marketing_numbers(running, 1))
        run_id = apply_run(cli, plan)
        assert cli("revert", run_id, "--out", tmp_path / "undo.json").code == 0
        before = copy.deepcopy(running.emulator.numbers)
        cli.use(running, PLIVO_AUTH_ID="MA" + "B" * 18)
        ran = cli.apply(tmp_path / "undo.json")
        assert running.emulator.numbers == before

    assert ran.code == 2
    assert "reviewed against account" in ran.json["reason"]

"""`bulkops apply` guards: drift since review, failure thresholds, change caps, Plivo's refusals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from bulkops.emulator import EmulatorConfig, RunningEmulator
from bulkops.emulator.errors import ApiError
from tests.emulated import Cli, emulator_thread

# 76 US numbers (all start with 1, so they are sent first) and 24 from other countries.
INVENTORY = EmulatorConfig(numbers=100, seed=3, rate_limit=None)
NOT_US_VOICE = "cnam_lookup is available for US local and toll-free numbers only"
OUTCOMES = ("succeeded", "failed", "unchanged", "stale", "skipped")


def posts(running: RunningEmulator) -> list[str]:
    """The number of every POST the emulator answered, in order."""
    return [
        s.path.split("/Number/")[1].strip("/")
        for s in running.emulator.served
        if s.method == "POST"
    ]


def adds_up(counts: Mapping[str, int]) -> bool:
    return sum(counts[outcome] for outcome in OUTCOMES) == counts["planned"]


def fail_updates(
    running: RunningEmulator, status: int, message: str, when: Callable[[str], bool]
) -> None:
    """Make the emulated Plivo answer matching updates with an error; listing and GETs still work.

    `Faults(error_rate=1.0)` would fail the listing too, and a run that cannot list never starts.
    """
    update = running.emulator.update_number

    def failing(number: str, body: Mapping[str, object]) -> dict[str, Any]:
        if when(number):
            raise ApiError(status, message)
        return update(number, body)

    running.emulator.update_number = failing  # type: ignore[method-assign]


def write_plan(path: Path, select: str, update: str, limits: str = "") -> Path:
    rule = f"  - name: r\n    select: {select}\n    update: {update}\n"
    text = f"version: 1\nname: guarded\nrules:\n{rule}"
    path.write_text(text + (f"limits: {limits}\n" if limits else ""))
    return path


def numbers_list(numbers: list[str]) -> str:
    return "{numbers: [" + ", ".join(f'"{n}"' for n in numbers) + "]}"


def test_numbers_changed_since_review_are_skipped_as_stale(tmp_path: Path, cli: Cli) -> None:
    """Numbers that changed on Plivo after `plan --out` are reported stale and left alone."""
    with emulator_thread(INVENTORY) as running:
        cli.use(running)
        numbers = running.emulator.numbers
        chosen = sorted(numbers)[:5]
        plan = write_plan(tmp_path / "p.yaml", numbers_list(chosen), '{alias: "Relabel {number}"}')
        saved = tmp_path / "reviewed.json"
        assert cli("plan", plan, "--out", saved).code == 0
        edited, gone, renewed = chosen[:3]
        numbers[edited]["alias"] = "Changed by hand"
        numbers[renewed]["renewal_date"] = "2099-01-01"
        del numbers[gone]
        running.emulator.invalidate_listings()

        ran = cli.apply(saved)
        summary = ran.json
        posted = posts(running)
        final_alias = numbers[edited]["alias"]
    assert ran.code == 1, "a reviewed plan not carried out in full is not a success"
    counts = summary["counts"]
    assert counts["stale"] == 3
    assert counts["succeeded"] == 2
    assert counts["planned"] == 5
    assert sorted(posted) == chosen[3:], "nothing was sent to a stale number"
    assert final_alias == "Changed by hand"
    tasks = cli.show(summary["run_id"])
    assert {n for n, t in tasks.items() if t["outcome"] == "stale"} == {edited, gone, renewed}
    assert "alias" in tasks[edited]["error"]
    assert "gone" in tasks[gone]["error"]
    assert "renewal_date" in tasks[renewed]["error"]


def test_failure_count_threshold_stops_the_run(tmp_path: Path, cli: Cli) -> None:
    """With every update failing, `--max-failures 3` stops after a handful and skips the rest."""
    plan = write_plan(tmp_path / "p.yaml", "{type: local}", '{alias: "Fails {number}"}')
    with emulator_thread(INVENTORY) as running:
        cli.use(running)
        fail_updates(running, 500, "internal server error", when=lambda _number: True)
        ran = cli.apply(plan, "--max-failures", "3", "--max-retries", "0", "--concurrency", "2")
        summary = ran.json
        posted = posts(running)
        statuses = {s.status for s in running.emulator.served if s.method == "POST"}
        assert not running.emulator.mutations
    counts = summary["counts"]
    assert ran.code == 1
    assert summary["status"] == "stopped"
    assert adds_up(counts)
    assert counts["planned"] >= 60
    assert counts["failed"] > 3
    assert counts["skipped"] > 0
    assert statuses == {500}
    assert len(posted) == counts["failed"], "each failed task was sent once (no retries)"
    assert len(posted) <= 3 + 1 + 2, "at most the threshold, one over, and what was in flight"


@pytest.mark.parametrize(("limit", "status"), [("50%", "finished"), ("10%", "stopped")])
def test_failure_percentage_threshold(
    limit: str,
    status: str,
    tmp_path: Path,
    cli: Cli,
) -> None:
    """`--max-failures P%` lets a run with fewer failures finish and stops one with more."""
    # Every non-US number refuses cnam_lookup: about a third of the tasks fail.
    plan = write_plan(tmp_path / "p.yaml", "{}", "{cnam_lookup: enabled}")
    with emulator_thread(INVENTORY) as running:
        cli.use(running)
        foreign = sum(1 for n in running.emulator.numbers if not n.startswith("1"))
        ran = cli.apply(plan, "--max-failures", limit, "--concurrency", "2")
        summary = ran.json
        posted = posts(running)
    counts = summary["counts"]
    tasks = counts["planned"] - counts["unchanged"]
    assert 0.1 * tasks < foreign < 0.5 * tasks, "the inventory fits the thresholds under test"
    assert ran.code == 1
    assert summary["status"] == status
    assert adds_up(counts)
    if status == "finished":
        assert counts["failed"] == foreign
        assert counts["skipped"] == 0
        assert len(posted) == tasks
    else:
        assert int(0.1 * tasks) < counts["failed"] < foreign
        assert counts["skipped"] > 0
        assert len(posted) < tasks


def test_plan_limit_on_changes_refuses_and_the_flag_overrides_it(tmp_path: Path, cli: Cli) -> None:
    """A plan's `limits.max_changes` refuses a bigger run (exit 3); `--max-changes` overrides it."""
    with emulator_thread(INVENTORY) as running:
        cli.use(running)
        chosen = sorted(running.emulator.numbers)[:3]
        plan = write_plan(
            tmp_path / "p.yaml", numbers_list(chosen), '{alias: "Capped"}', "{max_changes: 1}"
        )
        saved = tmp_path / "reviewed.json"
        assert cli("plan", plan, "--out", saved).code == 0
        for source in (plan, saved):
            refused = cli.apply(source)
            assert refused.code == 3
            assert "more than the limit of 1" in refused.err
            assert not posts(running)
        ran = cli.apply(plan, "--max-changes", "3")
        assert ran.code == 0, ran.err
        assert sorted(posts(running)) == chosen
    assert ran.json["counts"]["succeeded"] == 3


def test_a_request_plivo_refuses_fails_for_good_with_its_reason(tmp_path: Path, cli: Cli) -> None:
    """A 400 is not retried: that number is failed with Plivo's error text, the others succeed."""
    with emulator_thread(INVENTORY) as running:
        cli.use(running)
        numbers = running.emulator.numbers
        us = sorted(n for n, o in numbers.items() if o["cnam_lookup"] == "disabled")[:3]
        mobile = min(n for n, o in numbers.items() if o["number_type"] == "mobile")
        plan = write_plan(
            tmp_path / "p.yaml", numbers_list([*us, mobile]), "{cnam_lookup: enabled}"
        )
        ran = cli.apply(plan)
        summary = ran.json
        posted = posts(running)
        refused = [
            s.status for s in running.emulator.served if s.method == "POST" and mobile in s.path
        ]
        final = {n: numbers[n]["cnam_lookup"] for n in [*us, mobile]}
    assert ran.code == 1
    assert summary["status"] == "finished"
    assert summary["counts"]["succeeded"] == 3
    assert summary["counts"]["failed"] == 1
    assert refused == [400], "sent once, never retried"
    assert sorted(posted) == sorted([*us, mobile])
    assert final == {**dict.fromkeys(us, "enabled"), mobile: None}
    failed = cli.show(summary["run_id"])[mobile]
    assert failed["outcome"] == "failed"
    assert failed["attempts"] == 1
    assert NOT_US_VOICE in failed["error"]


def test_nothing_to_change_sends_nothing(tmp_path: Path, cli: Cli) -> None:
    """Applying a plan a second time finds every number as planned: exit 0 and no change sent."""
    plan = write_plan(tmp_path / "p.yaml", "{type: tollfree}", '{alias: "TF {number}"}')
    with emulator_thread(INVENTORY) as running:
        cli.use(running)
        ran = cli.apply(plan)
        first = ran.json
        assert ran.code == 0, ran.err
        assert first["counts"]["succeeded"] > 0
        sent = len(posts(running))
        served = len(running.emulator.served)
        again = cli.apply(plan)
        second = again.json
        assert {s.method for s in running.emulator.served[served:]} == {"GET"}
    assert again.code == 0, again.err
    assert second["status"] == "finished"
    assert second["counts"]["unchanged"] == second["counts"]["planned"] == sent
    assert second["counts"]["succeeded"] == 0


def test_a_stopped_run_resumes_once_the_cause_is_fixed(tmp_path: Path, cli: Cli) -> None:
    """After the failure threshold stopped a run, `resume --retry-failed` completes every task."""
    plan = write_plan(tmp_path / "p.yaml", "{type: local}", '{alias: "Fixed {number}"}')
    with emulator_thread(INVENTORY) as running:
        cli.use(running)
        working = running.emulator.update_number
        fail_updates(running, 500, "internal server error", when=lambda _number: True)
        ran = cli.apply(plan, "--max-failures", "3", "--max-retries", "0")
        assert ran.code == 1
        assert ran.json["status"] == "stopped"
        running.emulator.update_number = working  # type: ignore[method-assign]
        again = cli("resume", "--yes", "--json", "--retry-failed")
        resumed = again.json
        changed = Counter(m.number for m in running.emulator.mutations)
        locals_ = {n for n, o in running.emulator.numbers.items() if o["number_type"] == "local"}
    assert again.code == 0
    assert resumed["status"] == "finished"
    assert resumed["counts"]["succeeded"] == resumed["counts"]["planned"]
    assert set(changed) == locals_
    assert set(changed.values()) == {1}

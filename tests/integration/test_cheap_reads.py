"""Re-reading a plan's numbers costs what its listings cost, not the whole account's listing.

A saved plan keeps the listings it selected with and their totals; its drift check and resume's
re-check list those filters again when that is cheaper than a GET per task.
"""

from __future__ import annotations

import json
from pathlib import Path

from bulkops.emulator import EmulatorConfig, RunningEmulator
from bulkops.emulator.errors import ApiError
from tests.emulated import Cli, emulator_thread

# 103 toll-free numbers among 1,000 (seed 3): 6 pages of the filtered listing, 50 of the account.
TOLLFREE = """\
version: 1
name: tollfree
rules:
  - name: label-tollfree
    select: {type: tollfree}
    update: {alias: "tf {number}"}
"""
CONFIG = EmulatorConfig(numbers=1000, seed=3, rate_limit=None)


def listing_requests(running: RunningEmulator) -> list[str]:
    """The query strings of every Number list request served (limit and offset dropped)."""
    found = []
    for served in running.emulator.served:
        path, _, query = served.path.partition("?")
        if served.method == "GET" and path.endswith("/Number/"):
            params = [p for p in query.split("&") if not p.startswith(("limit=", "offset="))]
            found.append("&".join(sorted(params)))
    return found


def gets_of_one_number(running: RunningEmulator) -> int:
    return sum(
        1
        for s in running.emulator.served
        if s.method == "GET"
        and "/Number/" in s.path
        and not s.path.split("?")[0].endswith("/Number/")
    )


def test_a_saved_plan_keeps_its_listings_and_their_totals(cli: Cli, tmp_path: Path) -> None:
    """`plan --out` writes the filters it listed with, the total they matched, the rules served."""
    plan, saved = tmp_path / "tf.yaml", tmp_path / "tf.json"
    plan.write_text(TOLLFREE)
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        assert cli("plan", plan, "--out", saved).code == 0
    [counted] = json.loads(saved.read_text())["queries"]
    assert counted == {
        "params": {"type": "tollfree"},
        "total_count": 103,
        "rules": ["label-tollfree"],
    }


def test_the_drift_check_lists_the_saved_filters_not_the_account(cli: Cli, tmp_path: Path) -> None:
    """Applying a saved plan of 103 tasks re-reads them in 6 filtered pages (not 50 + a probe)."""
    plan, saved = tmp_path / "tf.yaml", tmp_path / "tf.json"
    plan.write_text(TOLLFREE)
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        assert cli("plan", plan, "--out", saved).code == 0
        running.emulator.reset_records()
        ran = cli("apply", saved, "--yes", "--json")
        listed = listing_requests(running)
        looked_up = gets_of_one_number(running)
    assert ran.code == 0
    assert ran.json["counts"]["succeeded"] == 103
    assert listed == ["type=tollfree"] * 6
    assert looked_up == 0


def test_a_number_the_filters_no_longer_list_is_read_by_get_and_left_alone(
    cli: Cli, tmp_path: Path
) -> None:
    """A task's number missing from the saved filters' listing is looked up (gone) and skipped."""
    plan, saved = tmp_path / "tf.yaml", tmp_path / "tf.json"
    plan.write_text(TOLLFREE)
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        assert cli("plan", plan, "--out", saved).code == 0
        moved = json.loads(saved.read_text().splitlines()[-3].rstrip(","))["number"]
        running.emulator.delete_number(moved)  # given back by someone else since the review
        running.emulator.reset_records()
        ran = cli("apply", saved, "--yes", "--json")
        looked_up = gets_of_one_number(running)
    assert ran.json["counts"]["succeeded"] == 102
    assert ran.json["counts"]["stale"] == 1
    assert looked_up == 1


def test_a_saved_plan_without_its_listings_still_applies(cli: Cli, tmp_path: Path) -> None:
    """A version-2 file written before plans kept their listings loads and is checked as before."""
    plan, saved = tmp_path / "tf.yaml", tmp_path / "tf.json"
    plan.write_text(TOLLFREE)
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        assert cli("plan", plan, "--out", saved).code == 0
        doc = json.loads(saved.read_text())
        del doc["queries"]
        saved.write_text(json.dumps(doc))
        running.emulator.reset_records()
        ran = cli("apply", saved, "--yes", "--json")
        listed = listing_requests(running)
    assert ran.code == 0
    assert ran.json["counts"]["succeeded"] == 103
    assert "type=tollfree" not in listed  # it cannot know the filters: whole account or GETs


def test_resume_re_checks_by_the_run_s_own_listings(cli: Cli, tmp_path: Path) -> None:
    """A stopped run's re-check lists its filters (6 pages) rather than GET each task left."""
    plan = tmp_path / "tf.yaml"
    plan.write_text(TOLLFREE)
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        update = running.emulator.update_number
        calls: list[str] = []

        def refuse_tenth(number: str, fields: object) -> object:
            calls.append(number)
            if len(calls) == 10:
                raise ApiError(400, "refused for the test")
            return update(number, fields)  # type: ignore[arg-type]

        running.emulator.update_number = refuse_tenth  # type: ignore[assignment,method-assign]
        ran = cli("apply", plan, "--yes", "--json", "--max-failures", "0", "--concurrency", "1")
        assert ran.code == 1
        running.emulator.update_number = update  # type: ignore[method-assign]
        running.emulator.reset_records()
        resumed = cli("resume", "--yes", "--json")
        listed = listing_requests(running)
        looked_up = gets_of_one_number(running)
    assert resumed.code == 1  # the refused task stays failed
    assert resumed.json["counts"]["succeeded"] == 102
    assert listed == ["type=tollfree"] * 6
    assert looked_up == 0


def test_plan_estimates_what_apply_will_send(cli: Cli, tmp_path: Path) -> None:
    """6 listing pages again plus 103 updates: ≈ 109 requests, ≈ 2 s at 59/s, said before apply."""
    plan = tmp_path / "tf.yaml"
    plan.write_text(TOLLFREE)
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        as_json = cli("plan", plan, "--json").json["summary"]["estimate"]
        as_text = cli("plan", plan).out
    assert as_json == {"requests": 109, "seconds": round(109 / 59, 1), "rate": 59.0}
    assert "apply: ≈ 109 requests, ≈ 2 s at 59/s" in as_text


def test_an_unrent_costs_two_requests_in_the_estimate(cli: Cli, tmp_path: Path) -> None:
    """Each unrent is looked at right before its DELETE: the estimate counts both."""
    plan = tmp_path / "drop.yaml"
    unrent = "unrent: true\n    guards: {keep_rented_within: 0d, keep_tendlc_campaign: false}"
    plan.write_text(TOLLFREE.replace('update: {alias: "tf {number}"}', unrent))
    with emulator_thread(CONFIG) as running:
        cli.use(running)
        summary = cli("plan", plan, "--json", "--rate", "10").json["summary"]
    assert summary["unrents"] == 103
    assert summary["estimate"] == {"requests": 6 + 2 * 103, "seconds": 21.2, "rate": 10.0}

"""Acting only on fresh facts: resume, overlapping runs, listing gaps, outages, other accounts."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bulkops.emulator import APPLICATION_IDS, EmulatorConfig, Faults, RunningEmulator
from bulkops.emulator.errors import ApiError
from bulkops.run.journal import Journal
from tests.emulated import Cli, emulator_thread

CLEANUP = """\
version: 1
name: cleanup
rules:
  - name: drop-abroad
    select: {type: [mobile, national, fixed]}
    unrent: true
"""
RELABEL = """\
version: 1
name: relabel
rules:
  - name: relabel
    select: {number_startswith: "1"}
    update: {alias: "kept {number}"}
"""


def deletes(running: RunningEmulator) -> Counter[str]:
    return Counter(
        s.path.split("/Number/")[1].strip("/")
        for s in running.emulator.served
        if s.method == "DELETE"
    )


def refuse_first_unrent(running: RunningEmulator) -> None:
    """The first DELETE is refused, so a run with --max-failures 0 stops with the rest pending."""
    delete = running.emulator.delete_number
    refused: list[str] = []

    def once(number: str) -> None:
        if not refused:
            refused.append(number)
            raise ApiError(400, "refused for the test")
        delete(number)

    running.emulator.delete_number = once  # type: ignore[method-assign]


# --- resume re-checks what it is about to change ----------------------------------------------


def test_resume_leaves_alone_what_others_changed_since_the_run_stopped(
    cli: Cli, tmp_path: Path
) -> None:
    """Numbers claimed after an interrupted cleanup are not unrented: stale or gone, reported."""
    plan = tmp_path / "cleanup.yaml"
    plan.write_text(CLEANUP)
    with emulator_thread(EmulatorConfig(numbers=100, seed=3, rate_limit=None)) as running:
        cli.use(running)
        refuse_first_unrent(running)
        ran = cli("apply", plan, "--yes", "--json", "--max-failures", "0", "--concurrency", "1")
        assert ran.code == 1
        run_id = ran.json["run_id"]
        pending = sorted(n for n, t in cli.show(run_id).items() if t["outcome"] == "pending")
        assert len(pending) >= 4
        linked, labelled, gone = pending[0], pending[1], pending[2]
        numbers = running.emulator.numbers
        numbers[linked]["application"] = (
            f"/v1/Account/{running.auth_id}/Application/{APPLICATION_IDS[0]}/"
        )
        numbers[labelled]["alias"] = "HANDS OFF"
        running.emulator.delete_number(gone)  # someone else gave it back
        running.emulator.reset_records()

        resumed = cli("resume", "--yes", "--json")
        summary = resumed.json
        tasks = cli.show(run_id)
        sent = deletes(running)
    assert resumed.code == 1, "stale tasks were not carried out: not a success"
    assert linked in numbers
    assert numbers[labelled]["alias"] == "HANDS OFF"
    assert sent[linked] == sent[labelled] == sent[gone] == 0
    assert tasks[linked]["outcome"] == tasks[labelled]["outcome"] == "stale"
    assert "app_id" in tasks[linked]["error"]
    assert "alias" in tasks[labelled]["error"]
    assert tasks[gone]["outcome"] == "gone"
    rest = set(pending) - {linked, labelled, gone}
    assert all(number not in numbers for number in rest)
    assert all(sent[number] == 1 for number in rest)
    assert summary["counts"]["stale"] == 2
    assert summary["counts"]["gone"] == 1


def test_resume_without_an_id_passes_over_a_superseded_run(cli: Cli, tmp_path: Path) -> None:
    """A later run of the same plan supersedes an unfinished one: resume names it, sends nothing."""
    plan = tmp_path / "relabel.yaml"
    plan.write_text(RELABEL)
    with emulator_thread(EmulatorConfig(numbers=60, seed=3, rate_limit=None)) as running:
        cli.use(running)
        update = running.emulator.update_number
        calls: list[str] = []

        def first_fails(number: str, body: Mapping[str, object]) -> dict[str, Any]:
            calls.append(number)
            if len(calls) == 1:
                raise ApiError(400, "refused for the test")
            return update(number, body)

        running.emulator.update_number = first_fails  # type: ignore[method-assign]
        args = ("--yes", "--json", "--max-failures", "0", "--concurrency", "1")
        ran = cli("apply", plan, *args)
        older = ran.json["run_id"]
        assert ran.code == 1
        time.sleep(1.1)  # run ids and creation times are to the second
        plan.write_text(RELABEL.replace("kept {number}", "v2 {number}"))
        ran = cli("apply", plan, "--yes", "--json")
        newer = ran.json["run_id"]
        assert ran.code == 0
        running.emulator.reset_records()
        resumed = cli("resume", "--yes")
        served = list(running.emulator.served)
    assert resumed.code == 0
    assert f"not resuming run {older}" in resumed.out
    assert newer in resumed.out
    assert served == []


def test_resume_honours_max_changes(cli: Cli, tmp_path: Path) -> None:
    """More tasks left than --max-changes: resume refuses with exit 3 and sends nothing."""
    plan = tmp_path / "cleanup.yaml"
    plan.write_text(CLEANUP)
    with emulator_thread(EmulatorConfig(numbers=100, seed=3, rate_limit=None)) as running:
        cli.use(running)
        refuse_first_unrent(running)
        ran = cli("apply", plan, "--yes", "--json", "--max-failures", "0", "--concurrency", "1")
        run_id = ran.json["run_id"]
        running.emulator.reset_records()
        resumed = cli("resume", run_id, "--yes", "--json", "--max-changes", "1")
        mutations = list(running.emulator.mutations)
    assert resumed.code == 3
    assert resumed.json["exit_code"] == 3
    assert "more than the limit of 1" in resumed.json["reason"]
    assert mutations == []


# --- one run per account ------------------------------------------------------------------------


def spawn_apply(cli: Cli, plan: Path) -> subprocess.Popen[bytes]:
    return cli.spawn("apply", plan, "--yes", "--json", "--rate", "500", "--concurrency", "2")


def wait_for(running: RunningEmulator, mutations: int) -> None:
    deadline = time.monotonic() + 60
    while len(running.emulator.mutations) < mutations:
        assert time.monotonic() < deadline, "the first apply made no progress"
        time.sleep(0.01)


SLOW = EmulatorConfig(numbers=100, seed=3, rate_limit=None, faults=Faults(latency=0.05))


@pytest.mark.slow
def test_a_second_apply_on_the_same_account_refuses_and_names_the_run(
    cli: Cli, tmp_path: Path
) -> None:
    """Two cron runs of one cleanup at once: the second exits 3, naming the first; none twice."""
    plan = tmp_path / "cleanup.yaml"
    plan.write_text(CLEANUP)
    with emulator_thread(SLOW) as running:
        cli.use(running)
        first = spawn_apply(cli, plan)
        wait_for(running, 2)
        second = cli("apply", plan, "--yes", "--json")
        first.communicate(timeout=120)
        sent = deletes(running)
    assert second.code == 3
    assert "is busy" in second.err
    assert "run " in second.json["reason"]
    assert first.returncode == 0
    assert sent
    assert max(sent.values()) == 1


@pytest.mark.slow
def test_a_second_apply_with_wait_queues_and_finds_nothing_left(cli: Cli, tmp_path: Path) -> None:
    """With --wait the second run starts after the first, plans afresh and unrents nothing twice."""
    plan = tmp_path / "cleanup.yaml"
    plan.write_text(CLEANUP)
    with emulator_thread(SLOW) as running:
        cli.use(running)
        first = spawn_apply(cli, plan)
        wait_for(running, 2)
        second = cli("apply", plan, "--yes", "--json", "--wait")
        first.communicate(timeout=120)
        sent = deletes(running)
    assert second.code == 0
    assert "waiting" in second.err
    assert second.json["counts"]["succeeded"] == 0
    assert sent
    assert max(sent.values()) == 1


# --- listing integrity --------------------------------------------------------------------------


def short_page_at(running: RunningEmulator, offset: int, times: int) -> None:
    """The Number list page at `offset` comes back with half its numbers, `times` times."""
    listing = running.emulator.list_numbers
    left = [times]

    def short(query: Any) -> dict[str, Any]:
        page = listing(query)
        if page["meta"]["offset"] == offset and left[0] > 0:
            left[0] -= 1
            page["objects"] = page["objects"][: len(page["objects"]) // 2]
        return page

    running.emulator.list_numbers = short  # type: ignore[method-assign]


def test_a_short_page_is_fetched_again_and_every_selected_number_is_done(
    cli: Cli, tmp_path: Path
) -> None:
    """One page at offset 100 comes back half full: it is fetched again, all 245 numbers done."""
    plan = tmp_path / "all.yaml"
    plan.write_text("version: 1\nrules:\n  - name: all\n    select: {}\n    update: {alias: x}\n")
    with emulator_thread(EmulatorConfig(numbers=245, seed=3, rate_limit=None)) as running:
        cli.use(running)
        short_page_at(running, 100, times=1)
        ran = cli("apply", plan, "--yes", "--json")
        numbers = running.emulator.numbers
    assert ran.code == 0
    assert all(obj["alias"] == "x" for obj in numbers.values())


def test_a_listing_that_stays_short_stops_before_any_change(cli: Cli, tmp_path: Path) -> None:
    """A page that stays short: exit 1, the message says so, and nothing was sent."""
    plan = tmp_path / "all.yaml"
    plan.write_text("version: 1\nrules:\n  - name: all\n    select: {}\n    update: {alias: x}\n")
    with emulator_thread(EmulatorConfig(numbers=245, seed=3, rate_limit=None)) as running:
        cli.use(running)
        short_page_at(running, 100, times=1000)
        ran = cli("apply", plan, "--yes", "--json")
        mutations = list(running.emulator.mutations)
    assert ran.code == 1
    assert "incomplete" in ran.err
    assert mutations == []


def test_a_malformed_record_is_reported_and_never_journaled(cli: Cli, tmp_path: Path) -> None:
    """A listed number that must not go into a URL is skipped and counted; the run finishes."""
    plan = tmp_path / "all.yaml"
    plan.write_text("version: 1\nrules:\n  - name: all\n    select: {}\n    update: {alias: x}\n")
    with emulator_thread(EmulatorConfig(numbers=30, seed=3, rate_limit=None)) as running:
        cli.use(running)
        template = dict(next(iter(running.emulator.numbers.values())))
        running.emulator.numbers["../x"] = {**template, "number": "../x"}
        running.emulator.invalidate_listings()
        planned = cli("plan", plan, "--json")
        assert planned.code == 0
        assert planned.json["summary"]["malformed"] == 1
        ran = cli("apply", plan, "--yes", "--json")
        run_id = ran.json["run_id"]
        tasks = cli.show(run_id)
    assert ran.code == 0
    assert "../x" not in tasks
    assert len(tasks) == 30


# --- an outage --------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_outage_stops_the_run_in_bounds_and_resume_converges(cli: Cli, tmp_path: Path) -> None:
    """Plivo answers 503 to everything mid-run: the run stops within --outage-timeout, resumable."""
    plan = tmp_path / "relabel.yaml"
    plan.write_text(RELABEL)
    with emulator_thread(EmulatorConfig(numbers=150, seed=3, rate_limit=None)) as running:
        cli.use(running)
        emulator = running.emulator
        update, get = emulator.update_number, emulator.get_number
        outage = [False]

        def down_after_20(number: str, body: Mapping[str, object]) -> dict[str, Any]:
            if len(emulator.mutations) >= 20:
                outage[0] = True
            if outage[0]:
                raise ApiError(503, "service unavailable")
            return update(number, body)

        emulator.update_number = down_after_20  # type: ignore[method-assign]
        started = time.monotonic()
        ran = cli("apply", plan, "--yes", "--json", "--outage-timeout", "2")
        took = time.monotonic() - started
        summary = ran.json
        emulator.update_number, emulator.get_number = update, get  # type: ignore[method-assign]
        outage[0] = False
        resumed = cli("resume", summary["run_id"], "--yes", "--json")
        numbers = emulator.numbers
    assert ran.code == 1
    assert summary["status"] == "stopped"
    assert summary["resume"] == f"bulkops resume {summary['run_id']}"
    assert "no usable answer" in summary["stop_reason"]
    assert summary["counts"]["failed"] == 0, "tasks the outage stopped stay pending"
    assert summary["counts"]["pending"] > 0
    assert took < 30
    assert resumed.code == 0
    relabelled = [n for n in numbers if n.startswith("1")]
    assert all(numbers[n]["alias"] == f"kept {n}" for n in relabelled)


# --- saved plans stay with their account -------------------------------------------------------


def test_a_saved_plan_refuses_another_account(cli: Cli, tmp_path: Path) -> None:
    """A plan reviewed against account A, applied to account B: exit 2, nothing sent to B."""
    plan = tmp_path / "cleanup.yaml"
    plan.write_text(CLEANUP)
    saved = tmp_path / "reviewed.json"
    config = EmulatorConfig(numbers=60, seed=3, rate_limit=None)
    with emulator_thread(config) as account_a, emulator_thread(config) as account_b:
        cli.use(account_a)
        assert cli("plan", plan, "--out", saved).code == 0
        cli.use(account_b)
        ran = cli("apply", saved, "--yes", "--json")
        served = list(account_b.emulator.served)
    assert ran.code == 2
    assert account_a.auth_id in ran.err
    assert ran.json["exit_code"] == 2
    assert served == []


def test_a_saved_plans_run_keeps_the_fingerprint_its_reviewer_saw(cli: Cli, tmp_path: Path) -> None:
    """The journal ties a saved plan's run to the file reviewed; a YAML plan's run to its path."""
    plan = tmp_path / "relabel.yaml"
    plan.write_text(RELABEL)
    saved = tmp_path / "reviewed.json"
    with emulator_thread(EmulatorConfig(numbers=40, seed=3, rate_limit=None)) as running:
        cli.use(running)
        assert cli("plan", plan, "--out", saved).code == 0
        running.emulator.numbers[sorted(running.emulator.numbers)[0]]["alias"] = "changed"
        assert cli("apply", saved, "--yes", "--json").code == 1  # one task went stale
        assert cli("apply", plan, "--yes", "--json").code == 0
    yaml_run, saved_run = Journal.read_only(cli.state).runs()  # newest first
    assert saved_run.fingerprint == json.loads(saved.read_text())["fingerprint"]
    assert (yaml_run.source, yaml_run.fingerprint) == (str(plan), "")


def test_apply_of_a_yaml_plan_with_yes_never_hashes_its_tasks(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing shows a YAML plan's fingerprint when no one confirms: it is not worked out."""

    def refuse(tasks: object) -> str:
        raise AssertionError("the fingerprint was computed")

    monkeypatch.setattr("bulkops.tasks.fingerprint.fingerprint", refuse)
    plan = tmp_path / "relabel.yaml"
    plan.write_text(RELABEL)
    with emulator_thread(EmulatorConfig(numbers=40, seed=3, rate_limit=None)) as running:
        cli.use(running)
        ran = cli("apply", plan, "--yes", "--json")
    assert ran.code == 0, ran.err
    assert ran.json["counts"]["succeeded"] > 0


def test_swapped_url_and_token_never_echo_the_token(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PLIVO_API_URL and PLIVO_AUTH_TOKEN swapped by mistake: exit 2, the token is not printed."""
    token = "s3cr3t-t0ken-value-9f8e7d"
    plan = tmp_path / "cleanup.yaml"
    plan.write_text(CLEANUP)
    monkeypatch.setenv("PLIVO_AUTH_ID", "MA" + "A" * 18)
    monkeypatch.setenv("PLIVO_API_URL", token)
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", "https://api.plivo.com")
    ran = cli("plan", plan, "--json")
    assert ran.code == 2
    assert token not in ran.out + ran.err


def test_show_csv_into_a_closed_pipe_ends_quietly(cli: Cli, tmp_path: Path) -> None:
    """`bulkops show RUN --csv | head -1` prints its line and no BrokenPipeError traceback."""
    plan = tmp_path / "all.yaml"
    plan.write_text("version: 1\nrules:\n  - name: all\n    select: {}\n    update: {alias: x}\n")
    with emulator_thread(EmulatorConfig(numbers=200, seed=3, rate_limit=None)) as running:
        cli.use(running)
        run_id = cli("apply", plan, "--yes", "--json").json["run_id"]
        done = cli.run("show", run_id, "--csv", into="head -1", timeout=60)
    assert done.out.startswith("number,rule,action,outcome")
    assert "Traceback" not in done.err
    assert "BrokenPipe" not in done.err


def test_a_number_claimed_during_the_run_is_not_unrented(cli: Cli, tmp_path: Path) -> None:
    """An application linked mid-run, after planning: the look before its DELETE keeps it."""
    plan = tmp_path / "cleanup.yaml"
    plan.write_text(CLEANUP)
    with emulator_thread(EmulatorConfig(numbers=100, seed=3, rate_limit=None)) as running:
        cli.use(running)
        emulator = running.emulator
        delete = emulator.delete_number
        app = f"/v1/Account/{running.auth_id}/Application/{APPLICATION_IDS[0]}/"
        claimed: list[str] = []

        def claim_the_last(number: str) -> None:
            if not claimed:
                abroad = [n for n, o in emulator.numbers.items() if o["number_type"] != "local"]
                claimed.append(max(n for n in abroad if not n.startswith("1")))
                emulator.numbers[claimed[0]]["application"] = app
            delete(number)

        emulator.delete_number = claim_the_last  # type: ignore[method-assign]
        ran = cli("apply", plan, "--yes", "--json", "--concurrency", "1")
        tasks = cli.show(ran.json["run_id"])
        sent = deletes(running)
    assert ran.code == 1
    assert claimed[0] in emulator.numbers
    assert sent[claimed[0]] == 0
    assert tasks[claimed[0]]["outcome"] == "stale"
    assert "not unrented" in tasks[claimed[0]]["error"]


def test_resume_never_overwrites_an_alias_set_since_the_run_stopped(
    cli: Cli, tmp_path: Path
) -> None:
    """An alias someone set after the run stopped survives the resume; the task is stale."""
    plan = tmp_path / "relabel.yaml"
    plan.write_text(RELABEL)
    with emulator_thread(EmulatorConfig(numbers=60, seed=3, rate_limit=None)) as running:
        cli.use(running)
        emulator = running.emulator
        update = emulator.update_number
        calls: list[str] = []

        def first_fails(number: str, body: Mapping[str, object]) -> dict[str, Any]:
            calls.append(number)
            if len(calls) == 1:
                raise ApiError(400, "refused for the test")
            return update(number, body)

        emulator.update_number = first_fails  # type: ignore[method-assign]
        args = ("--yes", "--json", "--max-failures", "0", "--concurrency", "1")
        run_id = cli("apply", plan, *args).json["run_id"]
        pending = sorted(n for n, t in cli.show(run_id).items() if t["outcome"] == "pending")
        emulator.numbers[pending[0]]["alias"] = "HANDS OFF"
        resumed = cli("resume", run_id, "--yes", "--json")
        tasks = cli.show(run_id)
    assert resumed.code == 1
    assert emulator.numbers[pending[0]]["alias"] == "HANDS OFF"
    assert tasks[pending[0]]["outcome"] == "stale"
    assert tasks[pending[0]]["before"]["alias"] != "HANDS OFF"
    assert all(emulator.numbers[n]["alias"] == f"kept {n}" for n in pending[1:])

"""The cleanup job: unrent what Plivo's call and message records show unused, nothing else."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from bulkops.emulator import EmulatorConfig, RunningEmulator
from bulkops.emulator.traffic_seed import TrafficKind
from tests.emulated import Cli, emulator_thread, unused_numbers

DAY = 86_400.0
UNUSED_60 = """\
version: 1
name: cleanup
rules:
  - name: unused
    select: {unused_for: 60d}
    unrent: true
"""


def deleted(running: RunningEmulator) -> set[str]:
    return {
        s.path.split("/Number/")[1].strip("/")
        for s in running.emulator.served
        if s.method == "DELETE" and s.status == 204
    }


def traffic_requests(running: RunningEmulator) -> list[tuple[str, int]]:
    """(list, status) of every Call and Message list request the emulator served."""
    served = []
    for s in running.emulator.served:
        path = s.path.split("?")[0]
        if path.endswith("/Call/") or path.endswith("/Message/"):
            served.append((path.rsplit("/", 2)[-2], s.status))
    return served


def unused_truth(running: RunningEmulator, days: int, *, guards: bool = True) -> set[str]:
    return unused_numbers(running.emulator, days, guards=guards)


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "cleanup.yaml"
    path.write_text(UNUSED_60)
    return path


def test_cleanup_unrents_exactly_what_the_history_shows_unused(cli: Cli, plan: Path) -> None:
    """The unrented set is the one computed independently from the emulator's records."""
    with emulator_thread(EmulatorConfig(numbers=300, seed=5, rate_limit=None)) as running:
        cli.use(running)
        truth = unused_truth(running, 60)
        emulator = running.emulator
        ran = cli.apply(plan)
        assert ran.code == 0, ran.err
        # The look before each unrent is a request of its own, not a retry: nothing failed here.
        assert ran.json["retries"] == 0
        unrented = deleted(running)
        assert unrented == truth
        assert len(truth) > 30  # the history has plenty of unused numbers to find
        kinds = {kind: set(emulator.numbers_of_kind(kind)) for kind in TrafficKind}
        for kept in (
            TrafficKind.INBOUND_MESSAGES,
            TrafficKind.OUTBOUND_CALLS,
            TrafficKind.DAYS_40_50,
            TrafficKind.BUSY,
        ):
            assert kinds[kept], kept
            assert not kinds[kept] & unrented, kept
        # Traffic 61-88 days ago, or only past Plivo's 90 days, is no use within 60 days.
        for old in (TrafficKind.DAYS_60_90, TrafficKind.OVER_90_DAYS):
            assert kinds[old] & unrented, old
        assert all(status != 429 for _, status in traffic_requests(running))


def test_guards_keep_new_numbers_and_10dlc_ones_unless_turned_off(cli: Cli, tmp_path: Path) -> None:
    """Rented under 30 days ago or on a 10DLC campaign: kept, with the reason in the plan."""
    with emulator_thread(EmulatorConfig(numbers=300, seed=5, rate_limit=None)) as running:
        cli.use(running)
        guarded = unused_truth(running, 60, guards=False) - unused_truth(running, 60)
        assert guarded
        plan = tmp_path / "cleanup.yaml"
        plan.write_text(UNUSED_60)
        doc = cli("plan", plan, "--json").json
        kept = {k["number"]: k["reason"] for k in doc["kept"]}
        assert guarded <= kept.keys()
        assert not guarded & {task["number"] for task in doc["tasks"]}
        reasons = " ".join(kept[number] for number in guarded)
        assert "keep_rented_within" in reasons
        assert "keep_tendlc_campaign" in reasons

        plan.write_text(
            UNUSED_60 + "    guards: {keep_rented_within: 0d, keep_tendlc_campaign: false}\n"
        )
        doc = cli("plan", plan, "--json").json
        assert {t["number"] for t in doc["tasks"]} == unused_truth(running, 60, guards=False)


def test_the_plan_shows_the_evidence_and_what_the_unrents_save(cli: Cli, plan: Path) -> None:
    """Each unrent says since when nothing was seen; kept numbers say their last use."""
    with emulator_thread(EmulatorConfig(numbers=200, seed=2, rate_limit=None)) as running:
        cli.use(running)
        emulator = running.emulator
        doc = cli("plan", plan, "--json").json
        since = datetime.datetime.fromtimestamp(emulator.clock.timestamp() - 60 * DAY, datetime.UTC)
        rates = {n: float(o["monthly_rental_rate"]) for n, o in emulator.numbers.items()}
        for task in doc["tasks"]:
            evidence = task["evidence"]
            checked = datetime.datetime.fromisoformat(evidence["checked_since"])
            assert abs((checked - since).total_seconds()) < 120
            for last in (evidence["last_call"], evidence["last_message"]):
                assert last is None or datetime.datetime.fromisoformat(last) < checked
        savings = sum(rates[task["number"]] for task in doc["tasks"])
        assert doc["summary"]["monthly_savings_usd"] == pytest.approx(savings, abs=0.01)
        in_use = {k["number"]: k for k in doc["kept"] if k["reason"].startswith("in use")}
        busy = set(emulator.numbers_of_kind(TrafficKind.BUSY)) & in_use.keys()
        assert busy
        for number in busy:
            last = datetime.datetime.fromisoformat(in_use[number]["last_use"])
            assert last >= since

        text = cli("plan", plan).out
        assert f"no call or message since {since:%Y-%m-%d}" in text
        assert f"save ${savings:,.2f} a month" in text


def test_a_voice_only_period_ignores_messages(cli: Cli, tmp_path: Path) -> None:
    """`services: [voice]` counts calls only: a number that only texts is unused."""
    plan = tmp_path / "voice.yaml"
    plan.write_text(
        "version: 1\nrules:\n  - name: quiet-lines\n"
        "    select: {unused_for: {period: 60d, services: [voice]}}\n    unrent: true\n"
    )
    with emulator_thread(EmulatorConfig(numbers=200, seed=2, rate_limit=None)) as running:
        cli.use(running)
        emulator = running.emulator
        doc = cli("plan", plan, "--json").json
        planned = {task["number"] for task in doc["tasks"]}
        texting = set(emulator.numbers_of_kind(TrafficKind.INBOUND_MESSAGES)) | set(
            emulator.numbers_of_kind(TrafficKind.OUTBOUND_MESSAGES)
        )
        assert texting & planned
        assert all(path == "Call" for path, _ in traffic_requests(running))


def test_a_period_past_90_days_is_refused_with_the_reason(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "long.yaml"
    plan.write_text(UNUSED_60.replace("60d", "120d"))
    ran = cli("validate", plan)
    assert ran.code == 2
    assert "Plivo keeps call and message records for 90 days" in ran.err


def test_a_call_between_plan_and_apply_makes_the_unrent_stale(
    cli: Cli, plan: Path, tmp_path: Path
) -> None:
    """The check right before an unrent asks for use since the plan was made."""
    saved = tmp_path / "reviewed.json"
    with emulator_thread(EmulatorConfig(numbers=200, seed=2, rate_limit=None)) as running:
        cli.use(running)
        assert cli("plan", plan, "--out", saved).code == 0
        tasks = json.loads(saved.read_text())["tasks"]
        called, texted = tasks[0]["number"], tasks[1]["number"]
        running.emulator.add_call(called, direction="outbound")
        running.emulator.add_message(texted, direction="inbound")
        ran = cli.apply(saved)
        assert ran.code == 1, ran.err  # work left undone is never a plain success
        assert ran.json["counts"]["stale"] == 2
        shown = cli.show(ran.json["run_id"])
        for number in (called, texted):
            assert shown[number]["outcome"] == "stale"
            assert "used since planned" in shown[number]["error"]
        unrented = deleted(running)
        assert called not in unrented
        assert texted not in unrented
        assert len(unrented) == len(tasks) - 2


def shift_cache(state: Path, by: datetime.timedelta, *, ends_only: bool = False) -> None:
    """Make the usage cache look as if it had been written `by` earlier.

    `ends_only` moves only the moment each reading ends, as a clock that is off would write it.
    """
    [path] = (state / "usage").glob("*.json")
    doc = json.loads(path.read_text())
    for numbers in doc["sources"].values():
        for entry in numbers.values():
            entry[:] = [
                t
                if t is None or (ends_only and i)
                else (datetime.datetime.fromisoformat(t) - by).isoformat()
                for i, t in enumerate(entry)
            ]
    path.write_text(json.dumps(doc))


def test_the_next_nights_run_reads_only_what_is_new(cli: Cli, plan: Path) -> None:
    """With yesterday's reads cached, a run sends fewer requests, and still sees new use."""
    with emulator_thread(EmulatorConfig(numbers=300, seed=5, rate_limit=None)) as running:
        cli.use(running)
        first = cli("plan", plan, "--json").json
        cold = len(traffic_requests(running))
        shift_cache(cli.state, datetime.timedelta(days=1))
        woken = first["tasks"][0]["number"]
        running.emulator.add_call(woken)  # used since last night

        second = cli("plan", plan, "--json").json
        warm = len(traffic_requests(running)) - cold
        print(f"usage requests: first night {cold}, next night {warm}")
        assert warm < cold / 2
        assert second["summary"]["usage_reads"]["cached"] > 0
        planned = {task["number"] for task in second["tasks"]}
        assert planned == {task["number"] for task in first["tasks"]} - {woken}
        assert woken in {kept["number"] for kept in second["kept"]}


def test_a_cache_that_cannot_be_read_is_read_again_from_plivo(cli: Cli, plan: Path) -> None:
    with emulator_thread(EmulatorConfig(numbers=100, seed=5, rate_limit=None)) as running:
        cli.use(running)
        first = cli("plan", plan, "--json").json
        [path] = (cli.state / "usage").glob("*.json")
        path.write_text("{not json")
        second = cli("plan", plan, "--json").json
        assert [t["number"] for t in second["tasks"]] == [t["number"] for t in first["tasks"]]
        assert second["summary"]["usage_reads"]["cached"] == 0
        assert second["summary"]["usage_reads"]["requests"] > 0


def test_few_numbers_are_probed_one_by_one_in_both_directions(cli: Cli, tmp_path: Path) -> None:
    """Named numbers: per-number probes (to and from), so a caller-ID-only line is in use."""
    with emulator_thread(EmulatorConfig(numbers=300, seed=5, rate_limit=None)) as running:
        cli.use(running)
        emulator = running.emulator
        caller_id = emulator.numbers_of_kind(TrafficKind.OUTBOUND_CALLS)[0]
        texting = emulator.numbers_of_kind(TrafficKind.OUTBOUND_MESSAGES)[0]
        idle = sorted(unused_truth(running, 60))[0]
        plan = tmp_path / "named.yaml"
        plan.write_text(
            "version: 1\nrules:\n  - name: named\n"
            f'    select: {{numbers: ["{caller_id}", "{texting}", "{idle}"], unused_for: 60d}}\n'
            "    unrent: true\n"
            "    guards: {keep_rented_within: 0d, keep_tendlc_campaign: false}\n"
        )
        doc = cli("plan", plan, "--json").json
        assert [task["number"] for task in doc["tasks"]] == [idle]
        assert {k["number"] for k in doc["kept"]} == {caller_id, texting}
        reads = doc["summary"]["usage_reads"]
        # Calls for all three; messages only for the two no call showed in use.
        assert (reads["probed"], reads["scanned"]) == (3 + 2, 0)
        message_probes = [p for p, _ in traffic_requests(running) if p == "Message"]
        assert len(message_probes) == 1 + 2 * 2  # the total_count probe, then to and from


def test_the_message_list_never_answers_429(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Probes beyond the Message list's own budget wait their turn instead of meeting a 429.

    The emulator's budget and bulkops's are both shrunk (4 per second, not 20 per minute) so
    that a dozen message requests cross several windows in a few seconds.
    """
    import anyio

    from bulkops.account import Target, open_account
    from bulkops.emulator import RateLimit
    from bulkops.plan import load_plan
    from bulkops.tasks.prepare import from_plan

    config = EmulatorConfig(
        numbers=300, seed=5, rate_limit=None, message_rate_limit=RateLimit(4, 1.0)
    )
    with emulator_thread(config) as running:
        for name, value in (
            ("PLIVO_API_URL", running.base_url),
            ("PLIVO_AUTH_ID", running.auth_id),
            ("PLIVO_AUTH_TOKEN", running.auth_token),
        ):
            monkeypatch.setenv(name, value)
        idle = sorted(unused_truth(running, 60))[:6]
        plan = tmp_path / "named.yaml"
        plan.write_text(
            "version: 1\nrules:\n  - name: named\n"
            f"    select: {{numbers: {json.dumps(idle)}, unused_for: 60d}}\n"
            "    unrent: true\n"
        )

        async def planned() -> list[str]:
            target = Target(message_window=(4, 1.0), state_dir=tmp_path / "state")
            async with open_account(target) as account:
                tasks = await from_plan(load_plan(plan), account, running.emulator.today)
                return [task.number for task in tasks.tasks]

        assert anyio.run(planned) == idle
        # A second process at once (`plan`, then `apply`): it counts the first one's requests.
        assert anyio.run(planned) == idle
        messages = [status for path, status in traffic_requests(running) if path == "Message"]
        assert len(messages) > 4 * 4  # the budget was crossed four times over
        assert 429 not in messages


def test_reading_usage_shows_it_is_alive_in_a_log(cli: Cli, plan: Path) -> None:
    """Without a terminal, -v logs the usage phase: a cron log shows where the minutes went."""
    with emulator_thread(EmulatorConfig(numbers=100, seed=5, rate_limit=None)) as running:
        cli.use(running)
        ran = cli("plan", plan, "-v")
        assert ran.code == 0
        assert "phase=usage" in ran.err or '"phase": "usage"' in ran.err


def test_what_another_server_showed_is_never_taken_for_this_one(cli: Cli, plan: Path) -> None:
    """Same credentials on an emulator without traffic, then on the real one: no cache mix-up."""
    quiet = EmulatorConfig(numbers=300, seed=5, rate_limit=None, traffic=False)
    with emulator_thread(quiet) as elsewhere:
        cli.use(elsewhere)
        first = cli("plan", plan, "--json").json
        assert len(first["tasks"]) > 100  # without traffic, nearly everything looks unused
        credentials = {"auth_id": elsewhere.auth_id, "auth_token": elsewhere.auth_token}
    busy = EmulatorConfig(numbers=300, seed=5, rate_limit=None, **credentials)
    with emulator_thread(busy) as running:
        cli.use(running)
        doc = cli("plan", plan, "--json").json
        assert {t["number"] for t in doc["tasks"]} == unused_truth(running, 60)
        assert doc["summary"]["usage_reads"]["cached"] == 0


def test_a_cache_written_by_a_clock_ahead_is_not_trusted(cli: Cli, plan: Path) -> None:
    with emulator_thread(EmulatorConfig(numbers=300, seed=5, rate_limit=None)) as running:
        cli.use(running)
        first = cli("plan", plan, "--json").json
        shift_cache(cli.state, -datetime.timedelta(hours=3), ends_only=True)  # 3 hours ahead
        # Used now, before the moment the cache claims to have read up to: it must be seen.
        woken = first["tasks"][0]["number"]
        running.emulator.add_call(woken)
        doc = cli("plan", plan, "--json").json
        planned = {t["number"] for t in doc["tasks"]}
        assert woken not in planned
        assert planned == unused_truth(running, 60)


def test_rules_counting_different_services_are_each_answered_on_their_own(
    cli: Cli, tmp_path: Path
) -> None:
    """A call settles nothing for a rule that counts only SMS: each rule gets its own reading."""
    off = "    guards: {keep_rented_within: 0d, keep_tendlc_campaign: false}\n"
    plan = tmp_path / "two.yaml"
    plan.write_text(
        "version: 1\nrules:\n"
        "  - name: no-calls\n    select: {unused_for: {period: 60d, services: [voice]}}\n"
        "    unrent: true\n" + off + "  - name: no-sms\n"
        "    select: {unused_for: {period: 60d, services: [sms]}}\n    unrent: true\n" + off
    )
    with emulator_thread(EmulatorConfig(numbers=300, seed=5, rate_limit=None)) as running:
        cli.use(running)
        emulator = running.emulator
        since = emulator.clock.timestamp() - 60 * DAY

        def users(records: list[Any], kind: str | None = None) -> set[str]:
            return {
                number.lstrip("+")
                for r in records
                if r.at >= since and (kind is None or r.message_type == kind)
                for number in (r.from_number, r.to_number)
            }

        no_calls = set(emulator.numbers) - users(emulator.calls())
        no_sms = set(emulator.numbers) - users(emulator.messages(), "sms")
        for _ in range(2):  # the second time, answered from the cache the first one wrote
            ran = cli("plan", plan, "--json")
            assert ran.code == 0, ran.err
            assert {t["number"] for t in ran.json["tasks"]} == no_calls | no_sms


@pytest.mark.parametrize("edit", ["drop", "future"])
def test_a_saved_plan_whose_evidence_was_edited_is_refused(
    cli: Cli, plan: Path, tmp_path: Path, edit: str
) -> None:
    """Evidence decides what the check before each unrent asks: it is under the fingerprint."""
    saved = tmp_path / "reviewed.json"
    with emulator_thread(EmulatorConfig(numbers=100, seed=5, rate_limit=None)) as running:
        cli.use(running)
        assert cli("plan", plan, "--out", saved).code == 0
        doc = json.loads(saved.read_text())
        for task in doc["tasks"]:
            if edit == "drop":
                task["evidence"] = None
            else:
                task["evidence"]["checked_to"] = "2030-01-01T00:00:00Z"
        saved.write_text(json.dumps(doc))
        ran = cli.apply(saved)
        assert ran.code == 2
        assert not deleted(running)


def test_a_record_that_lands_late_still_stops_the_unrent(
    cli: Cli, plan: Path, tmp_path: Path
) -> None:
    """A call listed only after the plan, dated minutes before it: the check reads back that far."""
    saved = tmp_path / "reviewed.json"
    with emulator_thread(EmulatorConfig(numbers=200, seed=2, rate_limit=None)) as running:
        cli.use(running)
        assert cli("plan", plan, "--out", saved).code == 0
        late = json.loads(saved.read_text())["tasks"][0]["number"]
        before_plan = running.emulator.now() - datetime.timedelta(minutes=5)
        running.emulator.add_call(late, at=before_plan)
        ran = cli.apply(saved)
        assert cli.show(ran.json["run_id"])[late]["outcome"] == "stale"
        assert late not in deleted(running)

"""`bulkops apply` against the emulator: the account ends exactly as planned, safely."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bulkops.emulator import EmulatorConfig, Faults, RateLimit, RunningEmulator
from bulkops.limits import DEFAULT_RATE
from tests.emulated import Cli, emulator_thread, unused_numbers

PLANS = Path(__file__).resolve().parents[2] / "plans"
IVR, SUPPORT_QUEUE = "29986316244302815", "16632559604105954"
SUPPORT, MARKETING, SALES = "SASUPP5H8J2L6P0R4T7W", "SAMKTG7Q2X9D4K1B8N3V", "SASALE0N4W7E1U3I6O9A"

Obj = dict[str, Any]


def _app_id(obj: Obj) -> str | None:
    uri = obj.get("application")
    return uri.rstrip("/").rsplit("/", 1)[-1] if uri else None


def reassign(obj: Obj, unused: set[str] | None = None) -> Obj | None:
    if (
        obj["number_type"] == "local"
        and obj["voice_enabled"]
        and obj["sub_account"] == SUPPORT
        and _app_id(obj) == SUPPORT_QUEUE
    ):
        return {
            **obj,
            "application": obj["application"].replace(SUPPORT_QUEUE, IVR),
            "alias": f"IVR {obj['number']}",
        }
    return obj


def migrate(obj: Obj, unused: set[str] | None = None) -> Obj | None:
    if (
        obj["sub_account"] == MARKETING
        and obj["sms_enabled"]
        and obj["number"].startswith(("1415", "1212"))
        and obj["number"] != "14155550100"
    ):
        return {**obj, "sub_account": SALES, "sub_account_name": "Sales"}
    return obj


def cleanup(obj: Obj, unused: set[str]) -> Obj | None:
    """No call or message for 60 days (guards aside), renewing within the next 10 days."""
    today = date.today()
    renews = date.fromisoformat(obj["renewal_date"])
    if obj["number"] in unused and today <= renews <= today + timedelta(days=10):
        return None
    return obj


Expect = Callable[[Obj, set[str]], Obj | None]  # a number, the account's unused numbers


def assert_final_state(
    running: RunningEmulator, before: dict[str, Obj], expect: Expect, unused: set[str]
) -> set[str]:
    """The account is exactly the expected state; return the numbers that had to change."""
    wanted = {n: expect(copy.deepcopy(o), unused) for n, o in before.items()}
    changed = {n for n, o in wanted.items() if o != before[n]}
    assert changed, "the plan selects nothing in this inventory: the test would prove nothing"
    after = running.emulator.numbers
    assert set(after) == {n for n, o in wanted.items() if o is not None}
    for number, obj in after.items():
        assert obj == wanted[number], number
    successful = Counter(m.number for m in running.emulator.mutations)
    assert set(successful) == changed, "mutations reached exactly the changed numbers"
    assert max(successful.values()) == 1, "no number was changed twice"
    return changed


@pytest.mark.parametrize(
    ("plan", "expect"),
    [
        ("reassign-to-ivr.yaml", reassign),
        ("migrate-subaccount.yaml", migrate),
        ("cleanup-unused.yaml", cleanup),
    ],
)
def test_each_example_plan_reaches_exactly_the_desired_state(
    plan: str,
    expect: Expect,
    cli: Cli,
) -> None:
    """Applying an example plan changes exactly the selected numbers, each once, and no other."""
    config = EmulatorConfig(numbers=600, seed=3, rate_limit=None)
    with emulator_thread(config) as running:
        cli.use(running)
        before = copy.deepcopy(running.emulator.numbers)
        unused = unused_numbers(running.emulator, 60)
        ran = cli.apply(PLANS / plan, "--max-changes", "1000")
        summary = ran.json
        assert ran.code == 0
        changed = assert_final_state(running, before, expect, unused)
    counts = summary["counts"]
    assert summary["status"] == "finished"
    assert counts["succeeded"] == len(changed)
    assert (
        sum(counts[k] for k in ("succeeded", "failed", "unchanged", "stale", "skipped"))
        == counts["planned"]
    )


def test_run_converges_through_fifteen_percent_faults(cli: Cli) -> None:
    """With 15 % of requests failing (5xx, dropped before and after applying), apply exits 0."""
    faults = Faults(error_rate=0.07, drop_rate=0.04, drop_after_rate=0.04)
    config = EmulatorConfig(numbers=600, seed=5, rate_limit=None, faults=faults)
    with emulator_thread(config) as running:
        cli.use(running)
        before = copy.deepcopy(running.emulator.numbers)
        ran = cli.apply(PLANS / "reassign-to-ivr.yaml")
        summary = ran.json
        assert ran.code == 0, summary
        wanted = {n: reassign(copy.deepcopy(o)) for n, o in before.items()}
        assert running.emulator.numbers == wanted
        faulted = sum(1 for s in running.emulator.served if s.status in (0, 500, 503))
    assert faulted > 0, "faults were injected"
    assert summary["retries"] > 0


@pytest.mark.slow
def test_apply_sits_just_under_the_account_limit(cli: Cli, tmp_path: Path) -> None:
    """At --rate R against a limit of R/s, under 2 % of requests see 429 and ≥ 90 % of R is used."""
    rate = 80
    config = EmulatorConfig(numbers=800, seed=2, rate_limit=RateLimit(requests=rate, period=1.0))
    plan = tmp_path / "alias-all.yaml"
    plan.write_text(
        "version: 1\nrules:\n  - name: all\n    select: {}\n    update: {alias: 'bulk {number}'}\n"
    )
    with emulator_thread(config) as running:
        cli.use(running)
        ran = cli("apply", plan, "--yes", "--json", "--rate", str(rate))
        served = list(running.emulator.served)
    assert ran.code == 0
    posts = [s for s in served if s.method == "POST"]
    throttled = sum(1 for s in served if s.status == 429)
    assert throttled < 0.02 * len(served), f"{throttled} of {len(served)} requests got 429"
    span = posts[-1].at - posts[0].at
    achieved = (len(posts) - 1) / span
    assert achieved >= 0.9 * rate, f"achieved {achieved:.1f} req/s against a limit of {rate}"


@pytest.mark.slow
def test_a_jittery_link_holds_the_pace_under_the_rate_and_says_so(cli: Cli, tmp_path: Path) -> None:
    """Round trips of 300 ± 270 ms bunch arrivals: apply paces under its 59/s, and -v says why."""
    faults = Faults(latency=0.3, latency_jitter=0.9)
    config = EmulatorConfig(numbers=150, seed=3, rate_limit=None, faults=faults)
    plan = tmp_path / "alias-all.yaml"
    plan.write_text(
        "version: 1\nrules:\n  - name: all\n    select: {}\n    update: {alias: 'bulk {number}'}\n"
    )
    with emulator_thread(config) as running:
        cli.use(running)
        ran = cli("apply", plan, "--yes", "--json", "-v", "--log-format", "json")
    assert ran.code == 0, ran.err
    logged = [json.loads(line) for line in ran.err.splitlines() if line.startswith("{")]
    held = [line for line in logged if line.get("event") == "pacing_for_jitter"]
    assert held, "no word of the rate held for jitter"
    assert 50 < held[-1]["rate"] < DEFAULT_RATE
    assert held[-1]["round_trip_spread_ms"] > 100


def test_no_terminal_and_no_yes_refuses_and_sends_nothing(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a terminal to confirm on, apply needs --yes: exit 3 and no mutating request."""
    with emulator_thread(EmulatorConfig(numbers=300, rate_limit=None)) as running:
        monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115
        cli.use(running)
        ran = cli("apply", PLANS / "cleanup-unused.yaml")
        methods = {s.method for s in running.emulator.served}
    assert ran.code == 3
    assert methods <= {"GET"}
    assert "--yes" in ran.err


def test_more_changes_than_allowed_refuses_and_sends_nothing(cli: Cli) -> None:
    """Over --max-changes, apply refuses with exit 3 even with --yes, and changes nothing."""
    with emulator_thread(EmulatorConfig(numbers=300, rate_limit=None)) as running:
        cli.use(running)
        ran = cli("apply", PLANS / "cleanup-unused.yaml", "--yes", "--max-changes", "1")
        methods = {s.method for s in running.emulator.served}
        assert not running.emulator.mutations
    assert ran.code == 3
    assert methods <= {"GET"}
    assert "more than the limit of 1" in ran.err

"""`bulkops plan`: the dry run lists exactly what apply would change, and changes nothing."""

from __future__ import annotations

import copy
import json
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bulkops.cli import main
from bulkops.emulator import EmulatorConfig, RunningEmulator
from tests.emulated import emulator_thread, run_cli, unused_numbers

PLANS = Path(__file__).resolve().parents[2] / "plans"
IVR, SUPPORT_QUEUE = "29986316244302815", "16632559604105954"
SUPPORT, MARKETING, SALES = "SASUPP5H8J2L6P0R4T7W", "SAMKTG7Q2X9D4K1B8N3V", "SASALE0N4W7E1U3I6O9A"
# Big enough that every example plan selects numbers; unthrottled so the tests stay fast.
INVENTORY = EmulatorConfig(numbers=600, seed=3, rate_limit=None)

Obj = dict[str, Any]
# number → (rule, action, changes as `plan --json` shows them)
Expected = dict[str, tuple[str, str, dict[str, dict[str, str | None]]]]


def _app_id(obj: Obj) -> str | None:
    uri = obj["application"]
    return uri.rstrip("/").rsplit("/", 1)[-1] if uri else None


def expect_reassign(numbers: dict[str, Obj], unused: set[str]) -> Expected:
    return {
        n: (
            "support-to-ivr",
            "update",
            {
                "app_id": {"before": SUPPORT_QUEUE, "after": IVR},
                "alias": {"before": o["alias"] or None, "after": f"IVR {n}"},
            },
        )
        for n, o in numbers.items()
        if o["number_type"] == "local"
        and o["voice_enabled"]
        and o["sub_account"] == SUPPORT
        and _app_id(o) == SUPPORT_QUEUE
    }


def expect_migrate(numbers: dict[str, Obj], unused: set[str]) -> Expected:
    return {
        n: (
            "move-415" if n.startswith("1415") else "move-212",
            "update",
            {"subaccount": {"before": MARKETING, "after": SALES}},
        )
        for n, o in numbers.items()
        if o["sub_account"] == MARKETING
        and o["sms_enabled"]
        and n.startswith(("1415", "1212"))
        and n != "14155550100"
    }


def expect_cleanup(numbers: dict[str, Obj], unused: set[str]) -> Expected:
    today = date.today()
    return {
        n: ("unused-renewing-soon", "unrent", {})
        for n, o in numbers.items()
        if n in unused
        and today <= date.fromisoformat(o["renewal_date"]) <= today + timedelta(days=10)
    }


def plan_json(
    monkeypatch: pytest.MonkeyPatch,
    running: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    plan: Path,
    *extra: str,
) -> dict[str, Any]:
    capsys.readouterr()
    with tempfile.TemporaryDirectory() as state:  # the usage cache goes there, not into ./
        words = ("plan", str(plan), "--json", "--rate", "500", "--state-dir", state, *extra)
        code = run_cli(monkeypatch, running, *words)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc: dict[str, Any] = json.loads(captured.out)
    return doc


def as_expected(doc: dict[str, Any]) -> Expected:
    numbers = [task["number"] for task in doc["tasks"]]
    assert numbers == sorted(set(numbers)), "one task per number, in number order"
    return {t["number"]: (t["rule"], t["action"], t["changes"]) for t in doc["tasks"]}


def only_reads(running: RunningEmulator) -> bool:
    return {s.method for s in running.emulator.served} == {"GET"} and not running.emulator.mutations


@pytest.mark.parametrize(
    ("plan", "expect"),
    [
        ("reassign-to-ivr.yaml", expect_reassign),
        ("migrate-subaccount.yaml", expect_migrate),
        ("cleanup-unused.yaml", expect_cleanup),
    ],
)
def test_plan_json_lists_exactly_the_numbers_to_change(
    plan: str,
    expect: Callable[[dict[str, Obj], set[str]], Expected],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`plan --json` shows every number the example plan changes, with each field's before/after."""
    with emulator_thread(INVENTORY) as running:
        before = copy.deepcopy(running.emulator.numbers)
        unused = unused_numbers(running.emulator, 60)
        doc = plan_json(monkeypatch, running, capsys, PLANS / plan)
        assert only_reads(running), "a dry run sends only GET requests"
        assert running.emulator.numbers == before
    expected = expect(before, unused)
    assert expected, "the plan selects nothing in this inventory: the test would prove nothing"
    assert as_expected(doc) == expected
    summary = doc["summary"]
    assert summary["updates"] + summary["unrents"] == len(expected)
    assert summary["unchanged"] == 0


def test_unrent_tasks_show_what_the_number_is_before_it_goes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unrent in `plan --json` shows the number's application, subaccount and renewal date."""
    with emulator_thread(INVENTORY) as running:
        numbers = copy.deepcopy(running.emulator.numbers)
        doc = plan_json(monkeypatch, running, capsys, PLANS / "cleanup-unused.yaml")
    assert doc["tasks"]
    for task in doc["tasks"]:
        obj = numbers[task["number"]]
        assert task["before"]["app_id"] == _app_id(obj)
        assert task["before"]["subaccount"] == obj["sub_account"]
        assert task["before"]["renewal_date"] == obj["renewal_date"]


def test_app_id_before_and_after_are_ids_not_uris(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The diff names applications by id (as a plan does), never by Plivo's resource URI."""
    with emulator_thread(INVENTORY) as running:
        doc = plan_json(monkeypatch, running, capsys, PLANS / "reassign-to-ivr.yaml")
    app_changes = [task["changes"]["app_id"] for task in doc["tasks"]]
    assert app_changes
    assert all(c == {"before": SUPPORT_QUEUE, "after": IVR} for c in app_changes)


TOLLFREE_PLAN = """\
version: 1
name: tollfree-cnam
rules:
  - name: tollfree
    select: {type: tollfree}
    update: {cnam_lookup: enabled, alias: "Toll free"}
"""


def test_numbers_already_as_planned_are_counted_unchanged_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Selected numbers already in the desired state are no task; a task lists only what differs."""
    plan = tmp_path / "tollfree.yaml"
    plan.write_text(TOLLFREE_PLAN)
    with emulator_thread(INVENTORY) as running:
        numbers = running.emulator.numbers
        tollfree = sorted(n for n, o in numbers.items() if o["number_type"] == "tollfree")
        assert len(tollfree) >= 10
        for number in tollfree[:3]:  # fully as planned already
            numbers[number].update(alias="Toll free", cnam_lookup="enabled")
        for number in tollfree[3:5]:  # only the cnam_lookup is off
            numbers[number].update(alias="Toll free", cnam_lookup="disabled")
        running.emulator.invalidate_listings()
        snapshot = copy.deepcopy(numbers)
        doc = plan_json(monkeypatch, running, capsys, plan)
        assert only_reads(running)
    wanted = {"cnam_lookup": "enabled", "alias": "Toll free"}
    expected: Expected = {}
    for number in tollfree:
        obj = snapshot[number]
        changes = {
            field: {"before": obj[field] or None, "after": after}
            for field, after in wanted.items()
            if (obj[field] or None) != after
        }
        if changes:
            expected[number] = ("tollfree", "update", changes)
    unchanged = len(tollfree) - len(expected)
    assert unchanged >= 3
    assert as_expected(doc) == expected
    for number in tollfree[3:5]:
        assert as_expected(doc)[number][2] == {
            "cnam_lookup": {"before": "disabled", "after": "enabled"}
        }
    assert doc["summary"]["unchanged"] == unchanged
    assert doc["summary"]["per_rule"]["tollfree"] == {
        "updates": len(expected),
        "unrents": 0,
        "unchanged": unchanged,
    }


def test_saved_plan_applies_exactly_the_reviewed_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan --out FILE` then `apply FILE --yes` sends exactly the reviewed changes, once each."""
    saved = tmp_path / "reviewed.json"
    with emulator_thread(INVENTORY) as running:
        doc = plan_json(
            monkeypatch, running, capsys, PLANS / "reassign-to-ivr.yaml", "--out", str(saved)
        )
        assert only_reads(running)
        code = run_cli(
            monkeypatch,
            running,
            "apply",
            str(saved),
            "--yes",
            "--json",
            "--rate",
            "500",
            "--state-dir",
            str(tmp_path / "state"),
        )
        summary = json.loads(capsys.readouterr().out)
        mutations = list(running.emulator.mutations)
        final = running.emulator.numbers
    assert code == 0, summary
    reviewed = {task["number"]: task for task in doc["tasks"]}
    assert reviewed
    assert Counter(m.number for m in mutations) == Counter(list(reviewed))
    for mutation in mutations:
        task = reviewed[mutation.number]
        assert mutation.fields == {f: c["after"] for f, c in task["changes"].items()}
        assert _app_id(final[mutation.number]) == IVR
        assert final[mutation.number]["alias"] == f"IVR {mutation.number}"
    assert summary["counts"]["succeeded"] == len(reviewed)


def test_sandbox_plan_needs_no_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan --sandbox` works on a machine with no PLIVO_* variable set at all."""
    for name in ("PLIVO_API_URL", "PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code = main(
        [
            "plan",
            str(PLANS / "reassign-to-ivr.yaml"),
            "--sandbox",
            "--sandbox-numbers",
            "300",
            "--json",
            "--rate",
            "500",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc = json.loads(captured.out)
    assert doc["tasks"], "the sandbox inventory has numbers this plan selects"
    assert {task["action"] for task in doc["tasks"]} == {"update"}


UNKNOWN_APP_PLAN = """\
version: 1
rules:
  - name: to-nowhere
    select: {type: local}
    update: {app_id: "11111111111111111"}
"""


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_unknown_application_id_is_refused_before_anything_is_sent(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A plan that assigns an application the account does not have exits 2 and names the id."""
    plan = tmp_path / "unknown-app.yaml"
    plan.write_text(UNKNOWN_APP_PLAN)
    extra = ["--yes", "--state-dir", str(tmp_path / "state")] if command == "apply" else []
    with emulator_thread(INVENTORY) as running:
        code = run_cli(monkeypatch, running, command, str(plan), "--rate", "500", *extra)
        assert only_reads(running)
    err = capsys.readouterr().err
    assert code == 2
    assert "11111111111111111" in err
    assert "does not exist" in err


CONFLICT_PLANS = {
    "unrent-vs-update": """\
version: 1
rules:
  - name: relabel
    select: {{numbers: ["{number}"]}}
    update: {{alias: "Relabelled"}}
  - name: give-back
    select: {{numbers: ["{number}"]}}
    unrent: true
""",
    "two-aliases": """\
version: 1
rules:
  - name: relabel
    select: {{numbers: ["{number}"]}}
    update: {{alias: "Relabelled"}}
  - name: rename-all
    select: {{type: {number_type}}}
    update: {{alias: "Something else"}}
""",
}


OTHER_RULE = {"unrent-vs-update": "give-back", "two-aliases": "rename-all"}


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("conflict", sorted(CONFLICT_PLANS))
def test_conflicting_rules_are_refused_naming_both_rules_and_the_number(
    conflict: str,
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Two rules that want different things for one number: exit 2, both rules and it named."""
    config = EmulatorConfig(numbers=40, seed=3, rate_limit=None)
    extra = ["--yes", "--state-dir", str(tmp_path / "state")] if command == "apply" else []
    with emulator_thread(config) as running:
        number = min(running.emulator.numbers)
        number_type = running.emulator.numbers[number]["number_type"]
        plan = tmp_path / "conflict.yaml"
        plan.write_text(CONFLICT_PLANS[conflict].format(number=number, number_type=number_type))
        code = run_cli(monkeypatch, running, command, str(plan), "--rate", "500", *extra)
        assert only_reads(running)
    err = capsys.readouterr().err
    assert code == 2
    assert number in err
    assert "'relabel'" in err
    assert f"'{OTHER_RULE[conflict]}'" in err


def test_malformed_auth_id_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PLIVO_AUTH_ID that is not MA/SA + 18 characters exits 2 with a plain message."""
    monkeypatch.setenv("PLIVO_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PLIVO_AUTH_ID", "not-an-auth-id")
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", "some-token")
    code = main(["plan", str(PLANS / "cleanup-unused.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "PLIVO_AUTH_ID" in err

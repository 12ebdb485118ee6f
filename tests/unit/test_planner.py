"""The planner: desired state vs. observed state, merges and conflicts, order and fingerprint."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from collections.abc import Iterable
from typing import Any

import pytest

from bulkops.numbers import NumberRecord
from bulkops.plan.model import NONE, Plan, Rule, Selector, Unrent, Update
from bulkops.selection import Selection
from bulkops.selection.screen import Evidence
from bulkops.tasks import Change, PlanConflictError, Task, TaskList, build
from bulkops.tasks.fingerprint import fingerprint
from bulkops.tasks.model import RuleCounts

N1, N2, N3 = "14155550101", "14155550102", "14155550103"


def rec(number: str = N1, **fields: Any) -> NumberRecord:
    return NumberRecord(number=number, number_type=fields.pop("number_type", "local"), **fields)


def update(*fields: tuple[str, str]) -> Update:
    return Update(tuple(fields))


def run(
    rules: Iterable[tuple[str, Update | Unrent, Iterable[NumberRecord]]],
    missing: tuple[tuple[str, str], ...] = (),
) -> TaskList:
    """Plan the given rules, each with the records it selected."""
    rules = list(rules)
    plan = Plan(version=1, rules=tuple(Rule(name, Selector(), action) for name, action, _ in rules))
    matched = {name: list(records) for name, _, records in rules}
    return build(plan, Selection(matched=matched, missing=missing))


def unchanged(result: TaskList) -> tuple[tuple[str, str], ...]:
    """(number, rule) of each number already in the desired state: it has nothing to send."""
    assert all(not task.body and not task.changes for task in result.unchanged)
    return tuple((task.number, task.rule) for task in result.unchanged)


def only_task(result: TaskList) -> Task:
    assert len(result.tasks) == 1
    return result.tasks[0]


# --- one rule ---------------------------------------------------------------------------------


def test_a_changed_field_makes_a_task_with_before_and_after() -> None:
    """An alias that differs produces one update whose body is exactly the new alias."""
    record = rec(alias="Old")
    task = only_task(run([("rename", update(("alias", "New")), [record])]))
    assert task == Task(
        number=N1, rule="rename", action="update", body=(("alias", "New"),), before=record
    )
    assert task.changes == (Change("alias", "Old", "New"),)


def test_a_number_already_as_planned_is_unchanged_and_never_sent() -> None:
    """A number whose fields already hold the desired values yields no task."""
    result = run(
        [("r", update(("alias", "Main"), ("app_id", "7")), [rec(alias="Main", app_id="7")])]
    )
    assert result.tasks == ()
    assert unchanged(result) == ((N1, "r"),)
    assert result.summary.unchanged == 1
    assert result.summary.per_rule == {"r": RuleCounts(unchanged=1)}


def test_only_the_fields_that_differ_are_sent() -> None:
    """Fields already right stay out of the body; the rest go in Plivo's field order."""
    record = rec(alias="Main", app_id="1", cnam_lookup="disabled")
    action = update(("app_id", "2"), ("alias", "Main"), ("cnam_lookup", "enabled"))
    task = only_task(run([("r", action, [record])]))
    assert task.body == (("app_id", "2"), ("cnam_lookup", "enabled"))
    assert [c.field for c in task.changes] == ["app_id", "cnam_lookup"]


def test_templates_render_per_number() -> None:
    """`IVR {number}` becomes each number's own alias; numbers already named so are skipped."""
    records = [rec(N1), rec(N2, alias=f"IVR {N2}"), rec(N3, alias="old")]
    result = run([("ivr", update(("alias", "IVR {number}")), records)])
    assert [(t.number, t.body) for t in result.tasks] == [
        (N1, (("alias", f"IVR {N1}"),)),
        (N3, (("alias", f"IVR {N3}"),)),
    ]
    assert unchanged(result) == ((N2, "ivr"),)


def test_cnam_templates_render_too() -> None:
    """cnam accepts templates like alias does."""
    task = only_task(run([("r", update(("cnam", "ACME {region}")), [rec(region="CA")])]))
    assert task.body == (("cnam", "ACME CA"),)


@pytest.mark.parametrize("unlink", ["", NONE])
def test_unlinking_an_application_sends_an_empty_app_id(unlink: str) -> None:
    """Unlinking posts app_id "" (Plivo's convention) and shows the app going to nothing."""
    task = only_task(run([("r", update(("app_id", unlink)), [rec(app_id="29986316244302815")])]))
    assert task.body == (("app_id", ""),)
    assert task.changes == (Change("app_id", "29986316244302815", None),)


def test_unlinking_a_number_without_an_application_is_a_no_op() -> None:
    """A number with no application is already unlinked."""
    assert run([("r", update(("app_id", "")), [rec()])]).tasks == ()


@pytest.mark.parametrize("current", [None, ""])
def test_clearing_an_alias_that_is_already_empty_is_a_no_op(current: str | None) -> None:
    """Plivo shows a cleared alias as null or ""; both already match an empty alias."""
    assert run([("r", update(("alias", "")), [rec(alias=current)])]).tasks == ()


def test_write_only_fields_alone_never_make_a_task() -> None:
    """A callback URL cannot be read back, so on its own it is not a change."""
    action = update(("cnam", "ACME"), ("cnam_callback_url", "https://example.com/cb"))
    result = run([("r", action, [rec(cnam="ACME")])])
    assert result.tasks == ()
    assert result.summary.unchanged == 1


def test_write_only_fields_ride_along_with_a_real_change() -> None:
    """When the cnam changes, its callback URL is sent too, shown with an unknown before."""
    action = update(("cnam", "ACME"), ("cnam_callback_url", "https://example.com/cb"))
    task = only_task(run([("r", action, [rec(cnam="OLD")])]))
    assert task.body == (("cnam", "ACME"), ("cnam_callback_url", "https://example.com/cb"))
    assert task.changes[1] == Change("cnam_callback_url", None, "https://example.com/cb")


def test_caller_reputation_compares_against_the_reported_status() -> None:
    """An ACTIVE (or PENDING) reputation already counts as enabled; a FAILED one does not."""
    action = update(("caller_reputation", "enabled"), ("profile_uuid", "p-1"))
    active = rec(N1, caller_reputation_status="ACTIVE", profile_uuid="p-1")
    failed = rec(N2, caller_reputation_status="FAILED", profile_uuid="p-1")
    result = run([("r", action, [active, failed])])
    task = only_task(result)
    assert task.number == N2
    assert task.body == (("caller_reputation", "enabled"), ("profile_uuid", "p-1"))


def test_an_unrent_is_a_task_with_an_empty_body() -> None:
    """Unrenting sends no body and keeps the number's state for the reviewer."""
    record = rec(app_id="5", alias="Old line")
    task = only_task(run([("drop", Unrent(), [record])]))
    assert (task.action, task.body, task.changes, task.before) == ("unrent", (), (), record)
    assert task.rule == "drop"


def test_tasks_are_ordered_by_number() -> None:
    """Whatever order numbers were listed in, the tasks come out sorted by number."""
    records = [rec(N3), rec(N1), rec(N2)]
    result = run([("r", update(("alias", "x")), records)])
    assert [t.number for t in result.tasks] == [N1, N2, N3]


def test_summary_counts_tasks_rules_and_missing_numbers() -> None:
    """Totals and per-rule counts add up, and named-but-missing numbers are counted."""
    result = run(
        [
            ("rename", update(("alias", "x")), [rec(N1), rec(N2, alias="x")]),
            ("drop", Unrent(), [rec(N3)]),
            ("idle", Unrent(), []),
        ],
        missing=(("drop", "14155559999"),),
    )
    summary = result.summary
    assert (summary.updates, summary.unrents, summary.unchanged, summary.missing) == (1, 1, 1, 1)
    assert summary.per_rule == {
        "rename": RuleCounts(updates=1, unchanged=1),
        "drop": RuleCounts(unrents=1),
        "idle": RuleCounts(),
    }


# --- several rules, one number ----------------------------------------------------------------


def test_two_unrents_of_one_number_make_one_task() -> None:
    """A number two rules unrent is unrented once, under the first rule's name."""
    record = rec()
    result = run([("old", Unrent(), [record]), ("unused", Unrent(), [record])])
    task = only_task(result)
    assert (task.action, task.rule) == ("unrent", "old")
    assert result.summary.per_rule["unused"] == RuleCounts(unrents=1)


def test_compatible_updates_merge_into_one_task() -> None:
    """Two rules setting different fields of one number make a single request named 'a+b'."""
    record = rec(alias="old", app_id="1")
    result = run(
        [
            ("alias", update(("alias", "new")), [record]),
            ("app", update(("app_id", "2")), [record]),
        ]
    )
    task = only_task(result)
    assert task.rule == "alias+app"
    assert task.body == (("app_id", "2"), ("alias", "new"))
    assert result.summary.per_rule == {
        "alias": RuleCounts(updates=1),
        "app": RuleCounts(updates=1),
    }


def test_rules_agreeing_on_a_value_do_not_conflict() -> None:
    """The same field set to the same (rendered) value by two rules is fine."""
    record = rec()
    result = run(
        [
            ("a", update(("alias", "IVR {number}")), [record]),
            ("b", update(("alias", f"IVR {N1}"), ("cnam_lookup", "enabled")), [record]),
        ]
    )
    assert only_task(result).body == (("alias", f"IVR {N1}"), ("cnam_lookup", "enabled"))


def test_merged_rules_already_satisfied_are_unchanged_under_both_names() -> None:
    """A number both rules leave as is is reported unchanged once, as 'a+b'."""
    record = rec(alias="x", app_id="1")
    result = run(
        [("a", update(("alias", "x")), [record]), ("b", update(("app_id", "1")), [record])]
    )
    assert result.tasks == ()
    assert unchanged(result) == ((N1, "a+b"),)


def test_different_values_for_one_field_conflict() -> None:
    """Two rules setting one field to different values fail, naming both rules and the number."""
    record = rec()
    with pytest.raises(PlanConflictError) as caught:
        run(
            [
                ("sales", update(("alias", "Sales")), [record]),
                ("ivr", update(("alias", "IVR")), [record]),
            ]
        )
    (conflict,) = caught.value.conflicts
    assert (conflict.number, conflict.rule_a, conflict.rule_b) == (N1, "sales", "ivr")
    message = str(caught.value)
    assert f"{N1}: rules 'sales' and 'ivr' disagree" in message
    assert "alias 'Sales' vs 'IVR'" in message


def test_update_and_unrent_of_one_number_conflict() -> None:
    """Updating and unrenting one number conflict, even when the update is a no-op."""
    record = rec(alias="x")
    with pytest.raises(PlanConflictError, match="'drop' unrents it while 'keep' updates it"):
        run([("keep", update(("alias", "x")), [record]), ("drop", Unrent(), [record])])


def test_every_conflict_is_reported_at_once() -> None:
    """All conflicting numbers and rule pairs are collected before the planner gives up."""
    a, b = rec(N1), rec(N2)
    with pytest.raises(PlanConflictError) as caught:
        run(
            [
                ("x", update(("alias", "1")), [a, b]),
                ("y", update(("alias", "2")), [a]),
                ("z", Unrent(), [b]),
            ]
        )
    found = [(c.number, c.rule_a, c.rule_b) for c in caught.value.conflicts]
    assert found == [(N1, "x", "y"), (N2, "x", "z")]


# --- fingerprint ------------------------------------------------------------------------------


def test_fingerprint_is_the_sha256_of_the_canonical_task_list() -> None:
    """Anyone can recompute the fingerprint from number, action, body and before-state."""
    records = [
        rec(N1, alias='Zoë "front"\\ \u2603\x01\n', number_type="", voice_enabled=True),
        # A value Plivo wrote as a number (a profile id) is encoded as JSON writes it, too.
        rec(N2, sms_enabled=False, renewal_date="2026-12-20", profile_uuid=1234),
    ]
    result = run([("r", update(("alias", "b é")), records[:1]), ("d", Unrent(), records[1:])])
    evidence = Evidence(
        datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 1, 3, 4, 5, tzinfo=datetime.UTC),
        last_call=datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC),
        sources=("calls", "messages"),
    )
    with_evidence = [*result.tasks[:1], dataclasses.replace(result.tasks[1], evidence=evidence)]
    assert result.fingerprint == _documented_fingerprint(result.tasks)
    assert fingerprint(with_evidence) == _documented_fingerprint(with_evidence)


def _documented_fingerprint(tasks: Iterable[Task]) -> str:
    canonical = [
        {
            "number": t.number,
            "action": t.action,
            "body": dict(t.body),
            "before": dataclasses.asdict(t.before),
            **({} if t.evidence is None else {"evidence": t.evidence.to_json()}),
        }
        for t in tasks
    ]
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_fingerprint_is_stable_and_ignores_rule_order() -> None:
    """The same outcome gives the same fingerprint, however the rules were ordered."""
    a, b = rec(N1), rec(N2)
    first = run([("x", update(("alias", "n")), [a]), ("y", Unrent(), [b])])
    again = run([("y", Unrent(), [b]), ("x", update(("alias", "n")), [a])])
    assert first.fingerprint == again.fingerprint
    assert (
        first.fingerprint
        == run([("x", update(("alias", "n")), [a]), ("y", Unrent(), [b])]).fingerprint
    )


def test_fingerprint_changes_with_the_before_state() -> None:
    """A number whose observed state differs gives a different fingerprint for the same update."""
    one = run([("x", update(("alias", "n")), [rec(app_id="1")])])
    two = run([("x", update(("alias", "n")), [rec(app_id="2")])])
    assert one.fingerprint != two.fingerprint


def test_a_large_inventory_plans_every_number() -> None:
    """Fifty thousand numbers across two rules plan to the expected counts."""
    records = [rec(f"1415{i:07d}", alias="old" if i % 2 else "IVR") for i in range(50_000)]
    result = run(
        [
            (
                "ivr",
                update(("alias", "IVR"), ("cnam_callback_url", "https://x/cb")),
                records[:40_000],
            ),
            ("drop", Unrent(), records[40_000:]),
        ]
    )
    assert result.summary.updates == 20_000
    assert result.summary.unchanged == 20_000
    assert result.summary.unrents == 10_000
    assert [t.number for t in result.tasks] == sorted(t.number for t in result.tasks)


def test_a_number_selected_twice_by_one_rule_gets_one_task() -> None:
    """A selection that repeats a number still yields a single request for it."""
    record = rec()
    result = run([("r", update(("alias", "x")), [record, record]), ("s", Unrent(), [])])
    assert only_task(result).rule == "r"
    assert result.summary.per_rule["r"] == RuleCounts(updates=1)


def test_a_template_field_with_no_value_renders_as_nothing() -> None:
    """`{cnam}` on a number without a CNAM fills in empty text, never the word "None"."""
    record = rec(alias="Old", cnam=None, region=None)
    rule = update(("alias", "Line {cnam}{region}"), ("cnam", "ACME {alias}"))
    task = only_task(run([("r", rule, [record])]))
    assert dict(task.body) == {"alias": "Line ", "cnam": "ACME Old"}


def test_enabling_caller_reputation_always_sends_the_profile() -> None:
    """Plivo needs profile_uuid whenever caller_reputation is enabled, even if it is unchanged."""
    profile = "201faedc-7df9-4840-9ab1-3997ce3f8cf4"
    record = rec(profile_uuid=profile, caller_reputation_status="NOT_ENROLLED")
    rule = update(("caller_reputation", "enabled"), ("profile_uuid", profile))
    task = only_task(run([("r", rule, [record])]))
    assert dict(task.body) == {"caller_reputation": "enabled", "profile_uuid": profile}
    assert Change("profile_uuid", profile, profile) in task.changes


def test_a_profile_plivo_wrote_as_a_number_is_sent_as_text() -> None:
    """The profile riding along with caller_reputation comes from Plivo: it may not be text."""
    record = NumberRecord.from_api(
        {
            "number": N1,
            "number_type": "local",
            "profile_uuid": 12345,
            "caller_reputation_status": "NOT_ENROLLED",
        }
    )
    result = run([("r", update(("caller_reputation", "enabled")), [record])])
    task = only_task(result)
    assert dict(task.body) == {"caller_reputation": "enabled", "profile_uuid": "12345"}
    assert result.fingerprint == _documented_fingerprint(result.tasks)

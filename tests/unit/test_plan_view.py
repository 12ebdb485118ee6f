"""Plan rendering: the JSON document and the terminal view a reviewer reads before applying."""

from __future__ import annotations

import io

from rich.console import Console

from bulkops.numbers import NumberRecord
from bulkops.plan.model import Plan, Rule, Selector, Unrent, Update
from bulkops.report.diff import plan_to_json, render_plan
from bulkops.selection import Selection
from bulkops.tasks import TaskList, build

APP = "29986316244302815"
N1, N2, N3 = "14155550101", "14155550102", "14155550103"


def make_result(updates: int = 1) -> tuple[TaskList, Selection]:
    """`updates` numbers get an alias and lose their app; N3 is unrented; one name is missing."""
    rules = (
        Rule(
            "ivr",
            Selector(),
            Update((("app_id", ""), ("alias", "IVR"), ("cnam_callback_url", "https://x/cb"))),
        ),
        Rule("drop", Selector(), Unrent()),
    )
    updated = [NumberRecord(f"1415555{i:04d}", "local", app_id=APP) for i in range(updates)]
    dropped = NumberRecord(N3, "local", alias="Old line", app_id="7", renewal_date="2026-04-01")
    selection = Selection(
        matched={"ivr": updated, "drop": [dropped]}, missing=(("drop", "14155559999"),)
    )
    return build(Plan(version=1, rules=rules), selection), selection


def text_of(result: TaskList, max_rows: int | None = None) -> str:
    console = Console(file=io.StringIO(), width=120, record=True)
    console.print(render_plan(result, max_rows=max_rows))
    return console.export_text()


def test_json_lists_every_task_with_field_changes() -> None:
    """Each task shows number, rule, action and before/after per field, app ids not URIs."""
    result, _ = make_result()
    doc = plan_to_json(result)
    task = doc["tasks"][0]
    assert {key: task[key] for key in ("number", "rule", "action", "changes")} == {
        "number": "14155550000",
        "rule": "ivr",
        "action": "update",
        "changes": {
            "app_id": {"before": APP, "after": None},
            "alias": {"before": None, "after": "IVR"},
            "cnam_callback_url": {"before": None, "after": "https://x/cb"},
        },
    }
    assert task["body"] == {"app_id": "", "alias": "IVR", "cnam_callback_url": "https://x/cb"}
    assert task["before"]["app_id"] == APP


def test_json_unrents_carry_the_numbers_key_state() -> None:
    """An unrent shows what is being given back: app, subaccount, alias and renewal date."""
    result, _ = make_result()
    unrent = doc_task(plan_to_json(result), N3)
    assert isinstance(unrent, dict)
    assert (unrent["number"], unrent["rule"], unrent["action"]) == (N3, "drop", "unrent")
    assert unrent["changes"] == {}
    assert unrent["body"] == {}
    shown = ("app_id", "subaccount", "alias", "renewal_date")
    assert {key: unrent["before"][key] for key in shown} == {
        "app_id": "7",
        "subaccount": None,
        "alias": "Old line",
        "renewal_date": "2026-04-01",
    }


def doc_task(doc: dict[str, object], number: str) -> object:
    tasks = doc["tasks"]
    assert isinstance(tasks, list)
    return next(task for task in tasks if task["number"] == number)


def test_json_summary_has_totals_per_rule_and_fingerprint() -> None:
    """The summary block gives totals, per-rule counts and the fingerprint to apply against."""
    result, _ = make_result(updates=2)
    doc = plan_to_json(result)
    assert doc["summary"] == {
        "updates": 2,
        "unrents": 1,
        "unchanged": 0,
        "missing": 1,
        "per_rule": {
            "ivr": {"updates": 2, "unrents": 0, "unchanged": 0},
            "drop": {"updates": 0, "unrents": 1, "unchanged": 0},
        },
        "fingerprint": result.fingerprint,
        "malformed": 0,
        "kept": 0,
        "monthly_savings_usd": 0.0,
        "usage_reads": {"requests": 0, "probed": 0, "scanned": 0, "cached": 0},
    }
    assert doc["missing"] == [{"rule": "drop", "number": "14155559999"}]


def test_terminal_view_leads_with_the_totals() -> None:
    """The first lines say how many numbers change, are unrented, stay, and are missing."""
    result, _ = make_result(updates=2)
    text = text_of(result)
    first = text.splitlines()[0]
    assert first == "2 to update, 1 to unrent, 0 already as planned, 1 named but not rented"
    assert "fields changing: app_id 2, alias 2, cnam_callback_url 2" in text
    assert result.fingerprint[:16] in text


def test_terminal_view_shows_counts_per_rule() -> None:
    """Each rule gets a row with its updates, unrents and unchanged numbers."""
    text = text_of(make_result(updates=2)[0])
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert rows["ivr"] == ["2", "0", "0"]
    assert rows["drop"] == ["0", "1", "0"]


def test_terminal_view_shows_each_change_as_before_arrow_after() -> None:
    """Changes read `before → after`; nothing shows as ∅ and write-only fields say so."""
    text = text_of(make_result()[0])
    assert f"{APP} → ∅" in text
    assert "∅ → IVR" in text
    assert "(write-only) → https://x/cb" in text


def test_unrents_are_marked_in_red() -> None:
    """An unrent row says UNRENT, in red, beside the number's current state."""
    result, _ = make_result()
    console = Console(file=io.StringIO(), width=120, record=True, force_terminal=True)
    console.print(render_plan(result))
    text = console.export_text(clear=False)
    assert "UNRENT" in text
    assert "app_id 7, subaccount ∅, alias Old line, renewal_date 2026-04-01" in text
    styled = console.export_text(styles=True)
    assert "\x1b[1;31mUNRENT" in styled


def test_big_plans_are_cut_after_max_rows() -> None:
    """Past max_rows the view stops listing and says how many more there are, unrents included."""
    result, _ = make_result(updates=12)
    text = text_of(result, max_rows=5)
    assert "14155550004" in text
    assert "14155550005" not in text
    assert "… 8 more (use --json for all)" in text
    assert "including 1 UNRENT not shown" in text


def test_values_are_shown_literally_not_as_markup() -> None:
    """An alias that looks like rich markup is printed as written."""
    rule = Rule("r", Selector(), Update((("alias", "[bold]new[/bold]"),)))
    record = NumberRecord(N1, "local", alias="[red]old")
    result = build(Plan(version=1, rules=(rule,)), Selection(matched={"r": [record]}))
    assert "[red]old → [bold]new[/bold]" in text_of(result)


def test_an_empty_plan_renders_just_the_summary() -> None:
    """A plan with nothing to do says so and draws no task table."""
    result = build(Plan(version=1, rules=()), Selection(matched={}))
    text = text_of(result)
    assert text.startswith("0 to update, 0 to unrent, 0 already as planned")
    assert "before → after" not in text
    assert N2 not in text

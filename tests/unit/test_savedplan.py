"""Saved plans: round trip, tamper detection, clear refusals, atomic writes and drift."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bulkops.limits import FailureBudget, Limits
from bulkops.numbers import NumberRecord
from bulkops.plan.model import Plan, Rule, Selector, Unrent, Update
from bulkops.selection import Selection
from bulkops.tasks import Task, TaskList, build
from bulkops.tasks.drift import drift
from bulkops.tasks.saved import AccountRef, SavedPlanError, is_saved_plan, load, save

CREATED = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
N1, N2 = "14155550101", "14155550102"
ACCOUNT = AccountRef("MA" + "A" * 18, "https://api.plivo.com")
LIMITS = Limits(
    rate=10.0,
    concurrency=4,
    max_changes=100,
    max_failures=FailureBudget(percent=5.0),
    max_retries=2,
)


def make_plan() -> tuple[Plan, TaskList]:
    plan = Plan(
        version=1,
        name="spring cleanup",
        source=Path("plans/cleanup.yaml"),
        limits=LIMITS,
        rules=(
            Rule("ivr", Selector(), Update((("app_id", ""), ("alias", "IVR {number}")))),
            Rule("drop", Selector(), Unrent()),
        ),
    )
    selection = Selection(
        matched={
            "ivr": [NumberRecord(N1, "local", alias="old", app_id="29986316244302815")],
            "drop": [NumberRecord(N2, "tollfree", alias="Ünïcode line", renewal_date="2026-04-01")],
        }
    )
    return plan, build(plan, selection)


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, TaskList]:
    _plan, result = make_plan()
    path = tmp_path / "plan.json"
    save(path, result, ACCOUNT, CREATED)
    return path, result


def edit(path: Path, change: Any) -> None:
    """Rewrite the saved JSON after `change(doc)` mutated it, as a hand edit would."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def assert_no_chained_traceback(error: BaseException) -> None:
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_a_saved_plan_loads_back_identically(saved: tuple[Path, TaskList]) -> None:
    """Tasks, fingerprint, limits and provenance survive the round trip unchanged."""
    path, result = saved
    loaded = load(path)
    assert loaded.tasks == result.tasks
    assert loaded.fingerprint == result.fingerprint
    assert loaded.plan_name == "spring cleanup"
    assert loaded.source == "plans/cleanup.yaml"
    assert loaded.created_at == CREATED
    assert loaded.limits == LIMITS
    assert loaded.account == ACCOUNT


def test_the_file_is_json_with_a_format_header(saved: tuple[Path, TaskList]) -> None:
    """The file names its format and version, and lists one task per line for review."""
    path, _ = saved
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"]) == ("bulkops-saved-plan", 2)
    assert [task["number"] for task in doc["tasks"]] == [N1, N2]
    assert "Ünïcode line" in path.read_text(encoding="utf-8")


def test_a_reformatted_saved_plan_still_loads(saved: tuple[Path, TaskList]) -> None:
    """Pretty-printing or minifying the JSON changes nothing that matters, so it still loads."""
    path, result = saved
    edit(path, lambda doc: None)
    assert load(path).tasks == result.tasks


def test_an_empty_plan_round_trips(tmp_path: Path) -> None:
    """A plan with nothing to do saves and loads as zero tasks."""
    plan = Plan(version=1, rules=())
    result = build(plan, Selection(matched={}))
    save(tmp_path / "empty.json", result, ACCOUNT, CREATED)
    assert load(tmp_path / "empty.json").tasks == ()


def test_saved_plans_are_told_apart_from_yaml_plans(
    saved: tuple[Path, TaskList], tmp_path: Path
) -> None:
    """`apply` can sniff a saved plan; a YAML plan, other JSON or a missing file is not one."""
    path, _ = saved
    yaml_plan = tmp_path / "plan.yaml"
    yaml_plan.write_text('version: 1\nrules:\n  - name: "format"\n', encoding="utf-8")
    other_json = tmp_path / "other.json"
    other_json.write_text('{"format": "something-else"}', encoding="utf-8")
    assert is_saved_plan(path)
    assert not is_saved_plan(yaml_plan)
    assert not is_saved_plan(other_json)
    assert not is_saved_plan(tmp_path / "absent.json")


def test_saving_replaces_the_file_atomically(tmp_path: Path) -> None:
    """A save that fails half-way leaves the previous file intact and no temporary file behind."""
    _plan, result = make_plan()
    path = tmp_path / "plan.json"
    save(path, result, ACCOUNT, CREATED)
    before = path.read_bytes()
    unwritable = dataclasses.replace(
        result.tasks[0],
        body=(("alias", object()),),  # type: ignore[arg-type]
    )
    broken = dataclasses.replace(result, tasks=(result.tasks[0], unwritable))
    with pytest.raises(TypeError):
        save(path, broken, ACCOUNT, CREATED)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["tasks"][0]["body"].update(alias="Hacked"), "do not match its fingerprint"),
        (lambda d: d["tasks"][0]["before"].update(app_id="1"), "do not match its fingerprint"),
        (lambda d: d["tasks"].pop(), "do not match its fingerprint"),
        (lambda d: d["tasks"][0]["changes"].clear(), "changes do not match its body"),
        (lambda d: d["tasks"][0]["changes"]["alias"].update(after="x"), "changes do not match"),
        (lambda d: d["tasks"][0].update(number="+14155550101"), "not a phone number"),
        (lambda d: d["tasks"][0]["body"].update(sub_account="SA1"), "not a Plivo update field"),
        (lambda d: d["tasks"][1].update(action="delete"), "action must be"),
        (lambda d: d["tasks"][1]["body"].update(alias="x"), "an unrent must have none"),
        (lambda d: d["tasks"][0]["before"].pop("number_type"), "the number's recorded fields"),
        (lambda d: d["tasks"][0]["before"].update(colour="red"), "the number's recorded fields"),
        (
            lambda d: d["tasks"][0]["before"].update(sms_enabled="yes"),
            "'sms_enabled' has the wrong",
        ),
        (lambda d: d["tasks"].append(d["tasks"][0]), "more than one task"),
        (lambda d: d.update(limits={"rate": "fast"}), "rate must be a number above 0"),
        (lambda d: d.update(limits={"rate": -1}), "rate must be a number above 0"),
        (lambda d: d.update(limits={"rate": 20000}), "rate must be a number above 0"),
        (lambda d: d.update(limits={"concurrency": -3}), "concurrency must be a whole number"),
        (lambda d: d.update(limits={"max_changes": -1}), "max_changes must be a whole number"),
        (lambda d: d.update(limits={"max_failures": "lots"}), "max_failures must be a count"),
        (lambda d: d.update(limits={"max_retries": 101}), "max_retries must be a whole number"),
        (lambda d: d.update(limits={"colour": 1}), "unknown limit"),
        (lambda d: d.pop("account"), "'account' must be a dict"),
    ],
)
def test_an_edited_saved_plan_is_refused(
    saved: tuple[Path, TaskList], change: Any, message: str
) -> None:
    """Any hand edit to what would be sent, or any invalid content, stops `apply` with a reason."""
    path, _ = saved
    edit(path, change)
    with pytest.raises(SavedPlanError, match=message) as caught:
        load(path)
    assert str(path) in str(caught.value)
    assert_no_chained_traceback(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("version: 1\nrules: []\n", "invalid JSON at line 1 column 1"),
        ('{"format": "other"}', 'no "format": "bulkops-saved-plan" header'),
        ('{"format": "bulkops-saved-plan", "version": 1}', "version 1 is not supported"),
        ('{"format": "bulkops-saved-plan", "version": 3}', "version 3 is not supported"),
    ],
)
def test_a_file_that_is_not_a_saved_plan_is_refused_clearly(
    tmp_path: Path, content: str | None, message: str
) -> None:
    """Missing, non-JSON, foreign or future-version files give a one-line reason, no traceback."""
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SavedPlanError, match=message) as caught:
        load(path)
    assert_no_chained_traceback(caught.value)


# --- drift ------------------------------------------------------------------------------------

BEFORE = NumberRecord(
    N1, "local", alias="old", app_id="7", subaccount=None, region="CA", renewal_date="2026-04-01"
)
TASK = Task(N1, "r", "update", (("alias", "new"),), BEFORE)


def test_an_untouched_number_has_not_drifted() -> None:
    """A live record equal to the saved one, apart from its region label, is not stale."""
    live = dataclasses.replace(BEFORE, region="Florida")
    assert drift(TASK, live) == ()


@pytest.mark.parametrize(
    ("changed", "fields"),
    [
        ({"alias": "edited by someone"}, ("alias",)),
        ({"app_id": "8"}, ("app_id",)),
        ({"subaccount": "SA" + "X" * 18}, ("subaccount",)),
        ({"number_type": "tollfree"}, ("number_type",)),
        ({"app_id": None, "cnam": "ACME"}, ("app_id", "cnam")),
        ({"caller_reputation_status": "ACTIVE"}, ("caller_reputation_status",)),
        ({"renewal_date": "2026-05-01"}, ("renewal_date",)),
        (
            {"sms_enabled": True, "tendlc_registration_status": "PROCESSING"},
            ("sms_enabled", "tendlc_registration_status"),
        ),
    ],
)
def test_drift_names_the_fields_that_changed_since_review(
    changed: dict[str, Any], fields: tuple[str, ...]
) -> None:
    """A number changed on Plivo since the plan was saved is reported with the changed fields."""
    assert drift(TASK, dataclasses.replace(BEFORE, **changed)) == fields


def test_an_alias_cleared_to_empty_text_is_not_drift() -> None:
    """Plivo's "" and null for a cleared alias are the same state."""
    task = dataclasses.replace(TASK, before=dataclasses.replace(BEFORE, alias=None))
    assert drift(task, dataclasses.replace(BEFORE, alias="")) == ()

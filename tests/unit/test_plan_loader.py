"""Loading valid plans into the Plan model, and never failing in any other way than PlanError."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from bulkops.limits import FailureBudget, Limits
from bulkops.numbers import UPDATE_FIELDS
from bulkops.plan.loader import load_plan, load_plan_text
from bulkops.plan.model import (
    NONE,
    DateCondition,
    Plan,
    Rule,
    Selector,
    Unrent,
    Update,
)
from bulkops.plan.problems import PlanError, Problem

ROOT = Path(__file__).parent.parent.parent
VALID = Path(__file__).parent.parent / "fixtures" / "valid_plans"

EXPECTED: dict[str, Plan] = {
    "minimal.yaml": Plan(
        version=1,
        rules=(
            Rule("to-ivr", Selector(types=("local",)), Update((("app_id", "29986316244302815"),))),
        ),
    ),
    "every_select_condition.yaml": Plan(
        version=1,
        name="campaign-numbers-to-ivr",
        description="Point campaign numbers at the new IVR",
        exclude=frozenset({"14155550199", "14155550198"}),
        rules=(
            Rule(
                "to-ivr",
                Selector(
                    types=("local", "mobile"),
                    services=("voice", "sms"),
                    number_startswith="1415",
                    subaccount="SAXXXXXXXXXXXXXXXXXX",
                    alias="Main Line",
                    application="16632559604105954",
                    tendlc_campaign_id="C012345",
                    tendlc_registration_status="COMPLETED",
                    toll_free_sms_verification="VERIFIED",
                    cnam_lookup="enabled",
                    renewal_date=(DateCondition("gte", "+0d"), DateCondition("lt", "2026-12-31")),
                    numbers=("14155550100", "14155550101"),
                    exclude=frozenset({"14155550102"}),
                ),
                Update((("alias", "IVR {number} ({region})"),)),
            ),
            Rule(
                "main-account-unused",
                Selector(
                    subaccount=NONE,
                    application=NONE,
                    renewal_date=(DateCondition("lte", "+7d"),),
                ),
                Unrent(),
            ),
        ),
        limits=Limits(
            rate=50.0, concurrency=8, max_changes=1000, max_failures=FailureBudget(percent=5.0)
        ),
    ),
    "every_update_field.yaml": Plan(
        version=1,
        rules=(
            Rule(
                "everything",
                Selector(numbers=("14155550100",)),
                Update(
                    (
                        ("app_id", ""),
                        ("subaccount", "SASALE0N4W7E1U3I6O9A"),
                        ("alias", "{alias} (moved)"),
                        ("compliance_id", "20372631212782797"),
                        ("cnam_lookup", "disabled"),
                        ("cnam", "ACME {number_type}"),
                        ("cnam_callback_url", "http://hooks.example.com:8080/cnam?team=ops"),
                        ("cnam_callback_method", "POST"),
                        ("caller_reputation", "enabled"),
                        ("profile_uuid", "b1c2d3e4-0000-1111-2222-333344445555"),
                        ("caller_reputation_callback_url", "https://hooks.example.com/reputation"),
                        ("caller_reputation_callback_method", "GET"),
                    )
                ),
            ),
            Rule(
                "unlink-with-empty-string",
                Selector(number_startswith="1212"),
                Update((("app_id", ""), ("alias", ""))),
            ),
        ),
        limits=Limits(rate=0.5, max_failures=FailureBudget(count=10)),
    ),
    "anchors_and_shortcuts.yaml": Plan(
        version=1,
        exclude=frozenset({"18005550100"}),
        rules=(
            Rule(
                "verified.tollfree",
                Selector(
                    types=("tollfree",),
                    services=("sms",),
                    toll_free_sms_verification="VERIFIED",
                    renewal_date=(DateCondition("eq", "2026-06-30"),),
                ),
                Update((("cnam_lookup", "enabled"),)),
            ),
            Rule(
                "pending_tollfree",
                Selector(
                    types=("tollfree",),
                    services=("sms", "mms"),
                    renewal_date=(DateCondition("eq", "-30d"),),
                    numbers=("18005550101",),
                    exclude=frozenset({"18005550102"}),
                ),
                Update((("alias", "pending {toll_free_sms_verification}"),)),
            ),
        ),
        limits=Limits(max_changes=0, max_failures=FailureBudget(percent=2.5)),
    ),
}


def test_every_valid_fixture_has_an_expected_plan() -> None:
    """Each valid fixture is checked value by value, none is only checked for loading."""
    assert sorted(EXPECTED) == sorted(p.name for p in VALID.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_valid_plan_loads_into_the_expected_model(name: str) -> None:
    """A valid plan becomes exactly the Plan it describes, remembering its source file."""
    path = VALID / name
    assert load_plan(path) == dataclasses.replace(EXPECTED[name], source=path)


def test_every_update_field_is_accepted() -> None:
    """A plan may set every argument Plivo's Number update accepts, sent in Plivo's order."""
    plan = load_plan(VALID / "every_update_field.yaml")
    action = plan.rules[0].action
    assert isinstance(action, Update)
    assert tuple(field for field, _value in action.fields) == UPDATE_FIELDS


@pytest.mark.parametrize("path", sorted((ROOT / "plans").glob("*.yaml")), ids=lambda p: p.stem)
def test_example_plans_are_valid(path: Path) -> None:
    """The example plans shipped in plans/ load."""
    assert load_plan(path).rules


def test_plan_from_text_has_no_source() -> None:
    """load_plan_text builds the same Plan, without a source path."""
    text = (VALID / "minimal.yaml").read_text()
    assert load_plan_text(text, "minimal.yaml") == EXPECTED["minimal.yaml"]


def test_byte_order_mark_and_crlf_line_ends_are_fine(tmp_path: Path) -> None:
    """A plan saved by a Windows editor (BOM, CRLF) loads like any other."""
    text = (VALID / "minimal.yaml").read_text().replace("\n", "\r\n")
    path = tmp_path / "windows.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_plan(path).rules == EXPECTED["minimal.yaml"].rules


def test_unquoted_iso_date_is_read_as_that_date() -> None:
    """`renewal_date: {lt: 2026-12-31}` without quotes means the same as with them."""
    text = (
        "version: 1\n"
        "rules:\n"
        "  - name: a\n"
        "    select: {renewal_date: {lt: 2026-12-31}}\n"
        "    update: {alias: x}\n"
    )
    selector = load_plan_text(text, "p.yaml").rules[0].select
    assert selector.renewal_date == (DateCondition("lt", "2026-12-31"),)


def test_none_spelled_in_capitals_means_none() -> None:
    """`application: None` (YAML text, not null) is read as the `none` marker."""
    text = (
        "version: 1\n"
        "rules:\n"
        "  - name: a\n"
        "    select: {application: None, subaccount: NONE}\n"
        "    update: {app_id: NONE}\n"
    )
    rule = load_plan_text(text, "p.yaml").rules[0]
    assert (rule.select.application, rule.select.subaccount) == (NONE, NONE)
    assert rule.action == Update((("app_id", ""),))


# ---- robustness -------------------------------------------------------------------------------

_TOKENS = (
    "\n", " ", "  ", "- ", ": ", "{", "}", "[", "]", "'", '"', "#", "&a ", "*a", "<<: ", "!!str ",
    "!!int ", "!!timestamp ", "!!bool ", "!!float ", "!!python/object:os.system ", "!x ", "~",
    "null", "yes", "0b_", "0x", "1e999", ".nan", "2026-02-30", "+7d", "%", "|", ">", "\t", ",",
    "?", "---", "...", "\x00", "\ufeff", "é", "{number}", "none", "9" * 5000, "0x" + "f" * 5000,
    "&b [*b]", "*zz",
)  # fmt: skip


def test_absurdly_long_numbers_are_reported_not_crashed_on() -> None:
    """Numbers too long to print or convert (YAML reads `0xfff…` of any length) are problems."""
    huge = "0x" + "f" * 5000
    text = (
        f"version: {huge}\n"
        "rules:\n"
        "  - name: a\n"
        f"    select: {{renewal_date: {{lt: {huge}}}}}\n"
        "    update: {alias: x}\n"
        f"limits: {{rate: {huge}, concurrency: {huge},\n"
        f"         max_changes: {huge}, max_failures: {huge}}}\n"
    )
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "p.yaml")
    problems = caught.value.problems
    assert [p.path for p in problems] == [
        "version",
        "rules[0].select.renewal_date.lt",
        "limits.rate",
        "limits.concurrency",
        "limits.max_changes",
        "limits.max_failures",
    ]
    assert all(len(str(p)) < 400 for p in problems)


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(text) + 1)
        lines = text.split("\n")
        line = rng.randrange(len(lines))
        match rng.randrange(5):
            case 0:
                text = text[:at] + rng.choice(_TOKENS) + text[at:]
            case 1:
                text = text[:at] + text[at + rng.randint(1, 20) :]
            case 2:
                lines.insert(rng.randrange(len(lines) + 1), lines[line])
                text = "\n".join(lines)
            case 3:
                lines[line] = " " * rng.randint(0, 8) + lines[line].lstrip()
                text = "\n".join(lines)
            case _:
                text = text[:at] + chr(rng.randrange(32, 0x250)) + text[at + 1 :]
    return text


def _load_or_problems(text: str) -> Plan | list[Problem]:
    try:
        return load_plan_text(text, "fuzz.yaml")
    except PlanError as exc:
        return exc.problems


def test_mutated_plans_yield_a_plan_or_plan_error() -> None:
    """300 random corruptions of a valid plan never raise anything but PlanError."""
    base = (VALID / "every_select_condition.yaml").read_text()
    outcomes = [_load_or_problems(_mutate(random.Random(seed), base)) for seed in range(300)]
    plans = [outcome for outcome in outcomes if isinstance(outcome, Plan)]
    rejected = [outcome for outcome in outcomes if not isinstance(outcome, Plan)]
    assert plans
    assert rejected
    assert all(problems for problems in rejected), "a PlanError without problems"
    assert all(p.line >= 1 and p.column >= 1 for problems in rejected for p in problems)

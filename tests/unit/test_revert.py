"""The revert of a run's tasks (pure): the inverse of each change, and what cannot be undone."""

from __future__ import annotations

from bulkops.limits import Limits
from bulkops.tasks.drift import drift
from bulkops.tasks.fingerprint import fingerprint
from bulkops.tasks.revert import WRITE_ONLY_REASON, after_state, build_revert, invert
from tests.factories import task

SA_A, SA_B = "SA" + "A" * 18, "SA" + "B" * 18


def test_a_revert_task_sets_the_recorded_values_back() -> None:
    """Each changed field goes back to its recorded value; an empty before-value is cleared."""
    done = task(body={"app_id": "222", "alias": "new"}, app_id="111")
    inverse, lost = invert(done)
    assert inverse is not None
    assert not lost
    assert dict(inverse.body) == {"app_id": "111", "alias": ""}
    assert [(c.field, c.before, c.after) for c in inverse.changes] == [
        ("app_id", "222", "111"),
        ("alias", "new", None),
    ]


def test_a_revert_expects_the_state_the_run_left() -> None:
    """Its drift check expects the run's after-values: a number as the run left it is fresh."""
    done = task(body={"app_id": "222", "subaccount": SA_B}, app_id="111", subaccount=SA_A)
    inverse, _ = invert(done)
    assert inverse is not None
    left = after_state(done)
    assert (left.app_id, left.subaccount) == ("222", SA_B)
    assert drift(inverse, left) == ()
    assert drift(inverse, done.before) == ("app_id", "subaccount"), "unchanged by the run: stale"


def test_a_move_from_the_main_account_cannot_be_undone() -> None:
    """Plivo documents no move back to the main account: listed, and no task when nothing else."""
    inverse, lost = invert(task(body={"subaccount": SA_B}))
    assert inverse is None
    assert [(item.field, "main account" in item.reason) for item in lost] == [("subaccount", True)]


def test_write_only_fields_are_listed_and_the_rest_reverted() -> None:
    """A callback URL's old value was never readable: it is listed, the cnam is set back."""
    body = {"cnam": "NEW", "cnam_callback_url": "https://example.com/cb"}
    inverse, lost = invert(task(body=body, cnam="OLD"))
    assert inverse is not None
    assert dict(inverse.body) == {"cnam": "OLD"}
    assert [(item.field, item.reason) for item in lost] == [
        ("cnam_callback_url", WRITE_ONLY_REASON)
    ]


def test_enabled_caller_reputation_goes_back_off_with_its_profile() -> None:
    """Undoing an enable disables it and clears the profile the run set; Plivo read PENDING."""
    done = task(body={"caller_reputation": "enabled", "profile_uuid": "p1"})
    assert after_state(done).caller_reputation_status == "PENDING"
    inverse, _ = invert(done)
    assert inverse is not None
    assert dict(inverse.body) == {"caller_reputation": "disabled", "profile_uuid": ""}


def test_disabled_caller_reputation_comes_back_with_its_profile() -> None:
    """Re-enabling needs the profile in the same request, even though it never changed."""
    done = task(
        body={"caller_reputation": "disabled"},
        caller_reputation_status="ACTIVE",
        profile_uuid="p0",
    )
    assert after_state(done).caller_reputation_status is None
    inverse, _ = invert(done)
    assert inverse is not None
    assert dict(inverse.body) == {"caller_reputation": "enabled", "profile_uuid": "p0"}


def test_a_new_profile_while_enabled_reads_pending_after_the_run() -> None:
    """Plivo re-reviews a number moved to another business profile: the run left it PENDING."""
    done = task(body={"profile_uuid": "p2"}, caller_reputation_status="ACTIVE", profile_uuid="p1")
    assert after_state(done).caller_reputation_status == "PENDING"


def test_build_revert_sorts_tasks_lists_unrents_and_fingerprints_what_it_sends() -> None:
    """Updates become revert tasks in number order; unrents are listed, never planned."""
    done = [
        task("14155550102", {"alias": "b"}),
        task("14155550101", action="unrent", alias="kept"),
        task("14155550100", {"alias": "a"}, rule="other"),
    ]
    revert = build_revert("RUN", done, plan_name="p", limits=Limits(rate=5))
    tasks = revert.task_list.tasks
    assert [t.number for t in tasks] == ["14155550100", "14155550102"]
    assert [t.number for t in revert.unrented] == ["14155550101"]
    assert revert.task_list.fingerprint == fingerprint(tasks)
    assert revert.task_list.plan_name == "revert of run RUN (p)"
    assert revert.task_list.limits == Limits(rate=5)
    assert {rule: c.updates for rule, c in revert.task_list.summary.per_rule.items()} == {
        "other": 1,
        "r": 1,
    }

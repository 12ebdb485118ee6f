"""A task: one number's change, the same object from the planner to the saved plan to the journal.

A task's JSON shape, shared by `plan --json`, saved plans and `show --json` (which adds the
outcome), is::

    {"number": "14155550100", "rule": "to-ivr", "action": "update" | "unrent",
     "changes": {FIELD: {"before": VALUE | null, "after": VALUE | null}},
     "body":    {FIELD: WIRE_VALUE},          # exactly what is POSTed; {} for an unrent
     "before":  {RECORD_FIELD: VALUE | null}, # the number as planned against
     "evidence": null | {"last_call": TIME | null, "last_message": TIME | null,
                         "checked_since": TIME, "checked_to": TIME}}  # unused_for rules

TIME is ISO 8601 in UTC ("2026-10-03T14:00:00Z"). `evidence` says why an unrent of an
`unused_for` rule counts the number as unused: no record of use seen since `checked_since`.

`changes` is derived from `body` and `before`: a reader recomputes it and refuses a file where
the two disagree. For `app_id`, values are application ids, never URIs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import json
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from json.encoder import encode_basestring_ascii
from typing import Any, Final, Literal, cast, get_args

from bulkops.limits import Limits
from bulkops.numbers import UPDATE_FIELDS, InvalidNumberError, NumberRecord, check_number
from bulkops.selection.query import Counted
from bulkops.selection.screen import Evidence, Kept
from bulkops.selection.usage import UsageStats, aware_time, json_time

Action = Literal["update", "unrent"]
ACTIONS: Final = get_args(Action)
Body = tuple[tuple[str, str], ...]

FIELD_ORDER: Final = {name: index for index, name in enumerate(UPDATE_FIELDS)}
RECORD_FIELDS: Final = tuple(f.name for f in dataclasses.fields(NumberRecord))
_RECORD_VALUES: Final = operator.attrgetter(*RECORD_FIELDS)
_REQUIRED_RECORD_FIELDS: Final = frozenset({"number", "number_type"})
_JSON_KEYS: Final = tuple(f"{encode_basestring_ascii(name)}: " for name in RECORD_FIELDS)
_REQUIRED: Final = tuple(name in _REQUIRED_RECORD_FIELDS for name in RECORD_FIELDS)
_json_text: Final = encode_basestring_ascii  # a str as json.dumps writes it, quotes included
_ANNOTATION_TYPES: Final[Mapping[str, tuple[type, ...]]] = {
    "str": (str,),
    "bool": (bool,),
    "str | None": (str, type(None)),
}
# The JSON types each before-state field may take, read off NumberRecord's own annotations.
_RECORD_TYPES: Final = {
    f.name: _ANNOTATION_TYPES[str(f.type)] for f in dataclasses.fields(NumberRecord)
}


@dataclass(frozen=True, slots=True)
class Change:
    """One field that a task changes; None reads "no value" (or "unknown" for write-only fields)."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class Task:
    """One number's change: `body` is exactly what is POSTed (empty for an unrent).

    A number already in the desired state is journaled as an update task with an empty body.
    Its `changes` are derived from `body` and `before` when asked for, not stored: at 300k tasks
    a stored tuple of them cost ~35 MB, and derived they can never disagree with the body.
    """

    number: str
    rule: str  # the rule's name, or "a+b" when several rules' updates were merged
    action: Action
    body: Body
    before: NumberRecord
    evidence: Evidence | None = None  # an unrent of an unused_for rule: why it counts as unused

    @property
    def changes(self) -> tuple[Change, ...]:
        """The before → after view of the body (write-only fields read None before)."""
        return changes_for(self.body, self.before)


@dataclass(frozen=True, slots=True)
class UsageCheck:
    """What the check right before each unrent asks of usage: any record since `since`.

    `sources` names, per rule, the kinds of record that count as use (usage source keys).
    Derived from the tasks' evidence (`usage_check`), and kept with a run for its resumes.
    """

    since: datetime.datetime
    sources: Mapping[str, tuple[str, ...]]

    def to_json(self) -> dict[str, Any]:
        return {
            "since": json_time(self.since),
            "sources": {rule: list(keys) for rule, keys in sorted(self.sources.items())},
        }

    @classmethod
    def from_json(cls, raw: object) -> UsageCheck | None:
        """The check as `to_json` wrote it (None for none); TaskFormatError if malformed."""
        if raw is None:
            return None
        try:
            assert isinstance(raw, dict)
            since = aware_time(raw["since"])
            assert since is not None
            sources = {
                rule: tuple(str(key) for key in keys) for rule, keys in raw["sources"].items()
            }
            assert all(isinstance(rule, str) for rule in sources)
        except (AssertionError, KeyError, TypeError, ValueError, AttributeError):
            raise TaskFormatError("'usage' must be {since: TIME, sources: {RULE: [...]}}") from None
        return cls(since, sources)


@dataclass(frozen=True, slots=True)
class Stale:
    """A saved task whose number changed since review: left alone, reported."""

    task: Task
    drifted: tuple[str, ...]  # the fields that changed, or ("gone",)


@dataclass(frozen=True, slots=True)
class RuleCounts:
    updates: int = 0
    unrents: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class Summary:
    """Totals count tasks; `per_rule` counts a number once for every rule that selected it."""

    updates: int
    unrents: int
    unchanged: int
    per_rule: Mapping[str, RuleCounts]
    missing: int


@dataclass(frozen=True)
class TaskList:
    """What a run would do: the tasks to send, the numbers already right, the stale ones."""

    tasks: tuple[Task, ...]  # sorted by number; only numbers that change
    unchanged: tuple[Task, ...]  # already in the desired state (empty body)
    summary: Summary
    plan_name: str | None = None
    source: str | None = None  # the YAML plan's path
    limits: Limits = field(default_factory=Limits)
    stale: tuple[Stale, ...] = ()
    missing: tuple[tuple[str, str], ...] = ()  # (rule, number) named in the plan, not rented
    malformed: int = 0  # listed records skipped: their number could not safely be used
    kept: tuple[Kept, ...] = ()  # selected, but kept by a guard or by usage
    usage_reads: UsageStats = field(default_factory=UsageStats)  # what reading usage cost
    queries: tuple[Counted, ...] = ()  # the listings the tasks were selected with, and totals
    reads: int = 0  # requests the planning sent (references, selection): apply sends them again
    # The fingerprint a reviewer saw: a saved plan's (its tasks may since have gone stale, so
    # it is not theirs alone). None for tasks just planned.
    reviewed: str | None = None

    @property
    def planned(self) -> int:
        return len(self.tasks) + len(self.unchanged) + len(self.stale)

    @functools.cached_property
    def fingerprint(self) -> str:
        """The reviewed fingerprint, else that of `tasks` (tasks.fingerprint), made when first
        asked for: hashing every task is an eighth of bulkops' own CPU per task, and `apply` of a
        YAML plan with --yes never shows it."""
        if self.reviewed is not None:
            return self.reviewed
        from bulkops.tasks.fingerprint import fingerprint  # it imports this module

        return fingerprint(self.tasks)


def covered(tasks: Iterable[Task], queries: Iterable[Counted]) -> frozenset[str]:
    """The numbers of `tasks` that one of `queries` listed: a rule it served selected them."""
    served = {rule for counted in queries for rule in counted.rules}
    return frozenset(
        task.number
        for task in tasks
        if task.rule in served or any(part in served for part in task.rule.split("+"))
    )


def ordered(pairs: Iterable[tuple[str, str]]) -> Body:
    """Update fields in the order Plivo's docs list them (and diffs show them)."""
    return tuple(sorted(pairs, key=lambda pair: FIELD_ORDER[pair[0]]))


def changes_for(body: Body, before: NumberRecord) -> tuple[Change, ...]:
    """The before → after view of `body`; write-only fields read None before (unknowable)."""
    return tuple(Change(f, before.observed(f), wire or None) for f, wire in body)


def before_state(record: NumberRecord) -> dict[str, Any]:
    """`dataclasses.asdict(record)`, without its deep-copying cost (the record is flat)."""
    return dict(zip(RECORD_FIELDS, _RECORD_VALUES(record), strict=True))


def lean_before_json(record: NumberRecord) -> str:
    """`json.dumps` of the before-state without its empty fields (that halves a 300k-task file).

    Written field by field: every task of a run is encoded once, and building the dict for
    `json.dumps` costs twice as much as the encoding itself.
    """
    parts = []
    for key, required, value in zip(_JSON_KEYS, _REQUIRED, _RECORD_VALUES(record), strict=True):
        if type(value) is str:
            parts.append(key + _json_text(value))
        elif value is True:
            parts.append(key + "true")
        elif required or (value is not None and value is not False):
            parts.append(key + json.dumps(value))
    return "{" + ", ".join(parts) + "}"


def body_json(body: Body) -> str:
    """`json.dumps(dict(body))`, written directly (its values are text, but stay safe if not)."""
    if not all(type(value) is str for _, value in body):
        return json.dumps(dict(body))
    return "{" + ", ".join(f"{_json_text(name)}: {_json_text(value)}" for name, value in body) + "}"


def changes_json(changes: Iterable[Change]) -> dict[str, dict[str, str | None]]:
    return {c.field: {"before": c.before, "after": c.after} for c in changes}


def task_json(task: Task) -> dict[str, Any]:
    """The task's JSON shape (see the module docstring)."""
    return {
        "number": task.number,
        "rule": task.rule,
        "action": task.action,
        "changes": changes_json(task.changes),
        "body": dict(task.body),
        "before": before_state(task.before),
        "evidence": None if task.evidence is None else task.evidence.to_json(),
    }


def usage_check(tasks: Iterable[Task]) -> UsageCheck | None:
    """What the unrents resting on usage evidence must ask again; None if none do."""
    since: datetime.datetime | None = None
    sources: dict[str, tuple[str, ...]] = {}
    for task in tasks:
        proof = task.evidence
        if task.action != "unrent" or proof is None:
            continue
        since = proof.checked_to if since is None else min(since, proof.checked_to)
        sources[task.rule] = tuple(dict.fromkeys((*sources.get(task.rule, ()), *proof.sources)))
    return None if since is None else UsageCheck(since, sources)


def monthly_savings(tasks: Iterable[Task]) -> Decimal:
    """The monthly rental (USD) the unrents among `tasks` stop paying."""
    total = Decimal(0)
    for task in tasks:
        if task.action == "unrent" and task.before.monthly_rental_rate:
            with contextlib.suppress(InvalidOperation):
                total += Decimal(task.before.monthly_rental_rate)
    return total


class TaskFormatError(ValueError):
    """A task in JSON that is not one bulkops wrote; the message says what is wrong."""


def task_from_json(raw: object) -> Task:
    """Read and check a task written by `task_json`; TaskFormatError says what is wrong.

    Its written `changes` are not compared here: see `shows_its_changes`.
    """
    if not isinstance(raw, dict):
        raise TaskFormatError("is not an object")
    try:
        number = check_number(raw.get("number"))
    except InvalidNumberError as exc:
        raise TaskFormatError(str(exc)) from None
    written = raw.get("action")
    if written not in ACTIONS:
        raise TaskFormatError(f"action must be 'update' or 'unrent', got {written!r:.60}")
    action = cast(Action, written)
    rule = raw.get("rule")
    if not isinstance(rule, str):
        raise TaskFormatError("'rule' must be text")
    body = _body(raw.get("body"))
    if (action == "unrent") != (not body):
        raise TaskFormatError("an update needs a body and an unrent must have none")
    before = _record(raw.get("before"))
    if before.number != number:
        raise TaskFormatError(f"its before-state is for {before.number}")
    evidence = _evidence(raw.get("evidence"))
    return Task(number, rule, action, body, before, evidence)


def shows_its_changes(raw: Mapping[str, Any], task: Task) -> bool:
    """Whether the changes written in `raw` are the ones its body makes (what a reviewer saw)."""
    return bool(raw.get("changes") == changes_json(task.changes))


def decode_task(number: str, rule: str, action: str, body: str, before: str) -> Task:
    """A task from columns bulkops itself wrote (the journal): no checks beyond JSON decoding."""
    pairs = ordered(json.loads(body).items())
    record = NumberRecord(**json.loads(before))
    return Task(number, rule, cast(Action, action), pairs, record)


def _evidence(raw: object) -> Evidence | None:
    if raw is None:
        return None
    try:
        return Evidence.from_json(raw)
    except ValueError as exc:
        raise TaskFormatError(f"'evidence': {exc}") from None


def _body(raw: object) -> Body:
    if not isinstance(raw, dict):
        raise TaskFormatError("'body' must be an object")
    for name, value in raw.items():
        if name not in FIELD_ORDER:
            raise TaskFormatError(f"{name!r} is not a Plivo update field")
        if not isinstance(value, str):
            raise TaskFormatError(f"body field {name!r} must be text")
    return ordered(raw.items())


def _record(raw: object) -> NumberRecord:
    if (
        not isinstance(raw, dict)
        or not _REQUIRED_RECORD_FIELDS <= raw.keys() <= _RECORD_TYPES.keys()
    ):
        raise TaskFormatError("'before' must hold the number's recorded fields, and only those")
    for name, value in raw.items():
        if not isinstance(value, _RECORD_TYPES[name]):
            raise TaskFormatError(f"before-state field {name!r} has the wrong type")
    return NumberRecord(**raw)

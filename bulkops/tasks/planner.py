"""The planner: a Plan and what it selected in, the tasks that would change something out (pure).

For every selected number it works out the desired state the rule asks for, compares it with the
number as Plivo shows it, and keeps only real differences. A number several rules select gets one
task, or a conflict when the rules disagree; every conflict is collected before anything is raised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bulkops.errors import InvalidInput
from bulkops.numbers import WRITE_ONLY_FIELDS, NumberRecord
from bulkops.plan import NONE, Plan, Rule, Unrent
from bulkops.plan.templates import compile_template
from bulkops.selection import Selection
from bulkops.selection.query import Counted
from bulkops.selection.screen import Evidence
from bulkops.tasks.model import (
    Body,
    RuleCounts,
    Summary,
    Task,
    TaskList,
    ordered,
)

TEMPLATE_UPDATE_FIELDS: Final = frozenset({"alias", "cnam"})


@dataclass(frozen=True, slots=True)
class Conflict:
    number: str
    rule_a: str
    rule_b: str
    reason: str


class PlanConflictError(InvalidInput):
    """Two rules select the same number and ask for incompatible things."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        lines = [
            f"  {c.number}: rules {c.rule_a!r} and {c.rule_b!r} disagree: {c.reason}"
            for c in conflicts
        ]
        head = f"{len(conflicts)} conflict(s) between rules; make the rules' selections disjoint"
        super().__init__("\n".join([head + ":", *lines]))


# What one rule wants for one number: UNRENT, or the desired (field, wire value) pairs.
UNRENT: Final = "unrent"
Intent = str | Body


def build(plan: Plan, selection: Selection) -> TaskList:
    """Turn a plan and its selection into the tasks that would change something."""
    builder = _Builder(plan.rules, selection.evidence)
    intents = {rule.name: _intent_maker(rule) for rule in plan.rules}
    shared = _shared_numbers(plan.rules, selection.matched)
    groups: dict[str, list[tuple[Rule, NumberRecord]]] = {}
    for rule in plan.rules:
        intent_of = intents[rule.name]
        for record in selection.matched.get(rule.name, ()):
            if record.number in shared:
                groups.setdefault(record.number, []).append((rule, record))
            else:
                builder.decide((rule,), record, intent_of(record))
    conflicts: list[Conflict] = []
    for number in sorted(groups):
        conflicts.extend(builder.several(groups[number], intents))
    if conflicts:
        raise PlanConflictError(conflicts)
    return dataclasses.replace(
        builder.result(plan, selection.missing, selection.listed),
        kept=selection.kept,
        usage_reads=selection.usage,
    )


def _shared_numbers(
    rules: Sequence[Rule], matched: Mapping[str, Sequence[NumberRecord]]
) -> frozenset[str]:
    """Numbers selected more than once (by several rules, or twice by one): they need grouping."""
    seen: set[str] = set()
    shared: set[str] = set()
    for rule in rules:
        for record in matched.get(rule.name, ()):
            if record.number in seen:
                shared.add(record.number)
            else:
                seen.add(record.number)
    return frozenset(shared)


IntentOf = Callable[[NumberRecord], Intent]


def _intent_maker(rule: Rule) -> IntentOf:
    """Per-record intent of `rule`; values without templates are computed once, not per record."""
    action = rule.action
    if isinstance(action, Unrent):
        return lambda _record: UNRENT
    fields = ordered((f, _wire_value(f, v)) for f, v in action.fields)
    fillers = [
        (pair, compile_template(pair[1]) if pair[0] in TEMPLATE_UPDATE_FIELDS else None)
        for pair in fields
    ]
    if all(filler is None for _, filler in fillers):
        return lambda _record: fields

    def intent(record: NumberRecord) -> Body:
        return tuple([pair if fill is None else (pair[0], fill(record)) for pair, fill in fillers])

    return intent


def _wire_value(field: str, value: str) -> str:
    # Plivo unlinks an application only on an empty app_id; a plan may also write "none".
    if field == "app_id" and value == NONE:
        return ""
    return value


def diff(record: NumberRecord, desired: Body) -> Body | None:
    """What to POST for `desired` on `record`; None if nothing observable changes.

    Write-only fields ride along with an observable change and never make a request alone.
    `caller_reputation: enabled` always goes out with its `profile_uuid`, changed or not: Plivo
    requires the profile whenever reputation is enabled.
    """
    body: list[tuple[str, str]] = []
    observable = False
    for pair in desired:
        field, wire = pair
        before = record.observed(field)  # None for a write-only field: unknowable
        after = wire or None  # "" clears the field ("" app_id unlinks); Plivo then shows null
        if field in WRITE_ONLY_FIELDS or before != after:
            observable = observable or field not in WRITE_ONLY_FIELDS
            body.append(pair)
    if not observable:
        return None
    if ("caller_reputation", "enabled") in body and not any(f == "profile_uuid" for f, _ in body):
        profile = dict(desired).get("profile_uuid") or record.profile_uuid
        if profile:  # Plivo's own value may not be text; a body's values are
            body = list(ordered([*body, ("profile_uuid", str(profile))]))
    # Usually every desired field changes: share `desired` rather than hold a copy per task.
    return desired if len(body) == len(desired) else tuple(body)


class _Builder:
    """Accumulates tasks, unchanged numbers and per-rule counts as numbers are decided."""

    def __init__(
        self, rules: Sequence[Rule], evidence: Mapping[str, Mapping[str, Evidence]]
    ) -> None:
        self._evidence = evidence
        self._tasks: list[Task] = []
        self._unchanged: list[Task] = []
        self._counts = {rule.name: [0, 0, 0] for rule in rules}  # updates, unrents, unchanged

    def several(
        self, entries: list[tuple[Rule, NumberRecord]], intent_of: Mapping[str, IntentOf]
    ) -> list[Conflict]:
        """Decide a number selected by several rules, or return why the rules cannot agree."""
        first_per_rule: dict[str, tuple[Rule, NumberRecord]] = {}
        for rule, record in entries:
            first_per_rule.setdefault(rule.name, (rule, record))
        entries = list(first_per_rule.values())
        intents = [(rule, intent_of[rule.name](record)) for rule, record in entries]
        conflicts = [
            Conflict(entries[0][1].number, a.name, b.name, reason)
            for i, (a, intent_a) in enumerate(intents)
            for b, intent_b in intents[i + 1 :]
            if (reason := _disagreement(a.name, intent_a, b.name, intent_b))
        ]
        if not conflicts:
            rules = tuple(rule for rule, _ in entries)
            self.decide(rules, entries[0][1], _merge([intent for _, intent in intents]))
        return conflicts

    def decide(self, rules: tuple[Rule, ...], record: NumberRecord, intent: Intent) -> None:
        proof = next(
            (p for r in rules if (p := self._evidence.get(r.name, {}).get(record.number))), None
        )
        if isinstance(intent, str):
            task = Task(record.number, rules[0].name, "unrent", (), record, proof)
            self._tasks.append(task)
            self._count(rules, 1)
            return
        label = rules[0].name if len(rules) == 1 else "+".join(rule.name for rule in rules)
        planned = diff(record, intent)
        if planned is None:
            self._unchanged.append(Task(record.number, label, "update", (), record))
            self._count(rules, 2)
            return
        self._tasks.append(Task(record.number, label, "update", planned, record, proof))
        self._count(rules, 0)

    def _count(self, rules: Iterable[Rule], slot: int) -> None:
        for rule in rules:
            self._counts[rule.name][slot] += 1

    def result(
        self, plan: Plan, missing: tuple[tuple[str, str], ...], listed: tuple[Counted, ...]
    ) -> TaskList:
        tasks = tuple(sorted(self._tasks, key=lambda task: task.number))
        unrents = sum(1 for task in tasks if task.action == "unrent")
        summary = Summary(
            updates=len(tasks) - unrents,
            unrents=unrents,
            unchanged=len(self._unchanged),
            per_rule={name: RuleCounts(*counts) for name, counts in self._counts.items()},
            missing=len(missing),
        )
        return TaskList(
            tasks=tasks,
            unchanged=tuple(sorted(self._unchanged, key=lambda task: task.number)),
            summary=summary,
            plan_name=plan.name,
            source=None if plan.source is None else str(plan.source),
            limits=plan.limits,
            missing=missing,
            queries=listed,
        )


def _disagreement(name_a: str, a: Intent, name_b: str, b: Intent) -> str:
    """Why intents `a` and `b` cannot both hold for one number; "" when they can."""
    if isinstance(a, str) or isinstance(b, str):
        if isinstance(a, str) and isinstance(b, str):
            return ""
        unrenter, updater = (name_a, name_b) if isinstance(a, str) else (name_b, name_a)
        return f"{unrenter!r} unrents it while {updater!r} updates it"
    wanted_b = dict(b)
    clashes = [
        f"{field} {value!r} vs {wanted_b[field]!r}"
        for field, value in a
        if field in wanted_b and wanted_b[field] != value
    ]
    return "both set " + "; ".join(clashes) if clashes else ""


def _merge(intents: list[Intent]) -> Intent:
    """One intent from several that agree: all unrents stay an unrent; updates are unioned."""
    if all(isinstance(intent, str) for intent in intents):
        return UNRENT
    merged: dict[str, str] = {}
    for intent in intents:
        merged.update(intent if isinstance(intent, tuple) else ())
    return ordered(merged.items())

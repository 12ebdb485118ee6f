"""Building the model objects from converted values, with the checks that span several keys.

A builder gets the values of one mapping that converted (`Fields`) and returns the model object,
or INVALID. Checks that involve one value only live in the converters; the ones here need two
keys or more: a rule has exactly one action, `caller_reputation: enabled` needs a `profile_uuid`,
a number cannot be both selected and excluded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final

from bulkops.limits import Limits
from bulkops.numbers import WRITE_ONLY_FIELDS
from bulkops.plan import schema
from bulkops.plan.describe import INVALID
from bulkops.plan.model import Guards, Plan, Rule, Selector, Unrent, Update
from bulkops.plan.problems import Loc, Reporter
from bulkops.plan.yamltree import Map, Node, Scalar, Seq, child, item


@dataclasses.dataclass(frozen=True, slots=True)
class Fields:
    values: dict[str, Any]  # model attribute → converted value, for keys that converted
    node: Map
    path: str
    report: Reporter
    complete: bool  # every key converted and no required key is missing

    def add(self, key: str, message: str, hint: str | None = None) -> None:
        """Report at `key`'s value, or at the mapping when the key is absent."""
        node = self.node.get(key)
        loc = node.loc if node is not None else self.node.loc
        self.report.add(loc, child(self.path, key), message, hint)


def _listed(node: Node | None, path: str) -> list[tuple[str, Loc, str]]:
    """(number, where, path) for each text entry of a numbers or exclude list."""
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return [(node.value, node.loc, path)]
    if not isinstance(node, Seq):
        return []
    return [
        (sub.value, sub.loc, item(path, i))
        for i, sub in enumerate(node.items)
        if isinstance(sub, Scalar) and isinstance(sub.value, str)
    ]


def _build_select(fields: Fields) -> object:
    numbers = fields.values.get("numbers") or ()
    exclude = fields.values.get("exclude") or frozenset()
    clashes = [
        entry
        for entry in _listed(fields.node.get("exclude"), child(fields.path, "exclude"))
        if entry[0] in numbers and entry[0] in exclude
    ]
    for number, loc, where in clashes:
        hint = "ambiguous: remove it from one of the two lists"
        fields.report.add(loc, where, f"{number} is both in numbers and in exclude", hint)
    if clashes or not fields.complete:
        return INVALID
    return Selector(**fields.values)


def _build_update(fields: Fields) -> object:
    written = [key.text for key, _value in fields.node.entries if key.text in schema.UPDATE.names]
    if not fields.node.entries:
        hint = "list the fields to set, such as `app_id:`; or use `unrent: true`"
        fields.report.add(fields.node.loc, fields.path, "empty update: nothing to change", hint)
        return INVALID
    ok = fields.complete
    if written and set(written) <= WRITE_ONLY_FIELDS:
        message = "callback fields cannot make a change on their own"
        hint = "Plivo never shows them, so they only ride along with a change such as cnam"
        fields.report.add(fields.node.loc, fields.path, message, hint)
        ok = False
    if fields.values.get("caller_reputation") == "enabled" and "profile_uuid" not in written:
        hint = "add `profile_uuid:` (the business profile) to the same update"
        fields.add("caller_reputation", "`enabled` needs a profile_uuid", hint)
        ok = False
    if not ok:
        return INVALID
    names = (name for name in schema.UPDATE.names if name in fields.values)
    return Update(tuple((name, fields.values[name]) for name in names))


def _build_rule(fields: Fields) -> object:
    actions = [key for key, _value in fields.node.entries if key.text in schema.ACTIONS]
    if not actions:
        hint = "add `update:` with the fields to set, or `unrent: true`"
        fields.report.add(fields.node.loc, fields.path, "the rule has no action", hint)
        return INVALID
    if len(actions) > 1:
        where = child(fields.path, actions[1].text)
        message = "a rule has exactly one action: update or unrent, not both"
        fields.report.add(actions[1].loc, where, message, "split it into two rules")
        return INVALID
    if not fields.complete:
        return INVALID
    values = fields.values
    action = values["update"] if "update" in values else Unrent()
    if "guards" in values and not isinstance(action, Unrent):
        hint = "guards keep numbers from being unrented; remove them from an update rule"
        fields.add("guards", "guards apply to unrent rules only", hint)
        return INVALID
    if isinstance(action, Unrent) and values["select"] == Selector():
        hint = "add a condition such as `numbers:` or `renewal_date:`"
        fields.add("select", "unrent with an empty select would unrent every number", hint)
        return INVALID
    guards = values.get("guards", Guards())
    return Rule(name=values["name"], select=values["select"], action=action, guards=guards)


def _build_guards(fields: Fields) -> object:
    return Guards(**fields.values) if fields.complete else INVALID


def _build_limits(fields: Fields) -> object:
    return Limits(**fields.values) if fields.complete else INVALID


def _build_plan(fields: Fields) -> object:
    protected = fields.values.get("exclude") or frozenset()
    rules = fields.values.get("rules") or ()
    clashes = False
    for index, rule in enumerate(rules):
        numbers_node = _rule_numbers_node(fields.node, index)
        where = child(child(item("rules", index), "select"), "numbers")
        for number, loc, path in _listed(numbers_node, where):
            if number in protected and number in (rule.select.numbers or ()):
                hint = "ambiguous: remove it from one of the two lists"
                fields.report.add(loc, path, f"{number} is also in the plan-wide exclude", hint)
                clashes = True
    if clashes or not fields.complete:
        return INVALID
    return Plan(**fields.values)


def _rule_numbers_node(plan: Map, index: int) -> Node | None:
    rules = plan.get("rules")
    rule = rules.items[index] if isinstance(rules, Seq) else None
    select = rule.get("select") if isinstance(rule, Map) else None
    return select.get("numbers") if isinstance(select, Map) else None


BUILDERS: Final[dict[str, Callable[[Fields], object]]] = {
    "plan": _build_plan,
    "rule": _build_rule,
    "select": _build_select,
    "update": _build_update,
    "limits": _build_limits,
    "guards": _build_guards,
}

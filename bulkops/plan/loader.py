"""Plan file → validated Plan, or PlanError listing every problem at once.

Three phases, each returning a value: read the bytes (`_read_text`), parse YAML into a tree that
keeps positions (`yamltree.parse`), then walk the schema in `schema.py` over the tree, converting
each value (`values.py`) and building the model objects (`_BUILDERS`). The builders also hold the
few rules that tie several keys together, such as "a rule has exactly one action".
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from bulkops.numbers import WRITE_ONLY_FIELDS
from bulkops.plan import schema
from bulkops.plan.model import Limits, Plan, Rule, Selector, Unrent, Update
from bulkops.plan.problems import START, Loc, PlanError, Problem, Reporter
from bulkops.plan.values import CONVERTERS, INVALID, describe
from bulkops.plan.yamltree import Broken, Map, Node, Scalar, Seq, child, item, parse

_MAX_BYTES: Final = 64 * 1024 * 1024


def load_plan(path: Path) -> Plan:
    """Read and validate the plan at `path`; raise PlanError listing every problem."""
    plan = load_plan_text(_read_text(path), str(path))
    return dataclasses.replace(plan, source=path)


def load_plan_text(text: str, filename: str) -> Plan:
    """Validate plan `text`, naming `filename` in problems; raise PlanError listing them all."""
    report = Reporter(filename)
    root = parse(text, report)
    plan: object = INVALID
    if isinstance(root, Map):
        plan = _convert(schema.PLAN, root, "", report)
    elif root is not None and not isinstance(root, Broken):
        message = f"the plan must be a mapping of keys such as `version:`, not {describe(root)}"
        report.add(root.loc, "", message, "start with `version: 1` and `rules:`")
    report.raise_if_any()
    if not isinstance(plan, Plan):  # unreachable: every failed check reports a problem
        raise PlanError([_problem_at_start(filename, "the plan could not be read")])
    return plan


def _problem_at_start(filename: str, message: str, hint: str | None = None) -> Problem:
    report = Reporter(filename)
    report.add(START, "", message, hint)
    return report.problems[0]


def _read_text(path: Path) -> str:
    filename = str(path)
    try:
        if path.is_dir():
            raise PlanError([_problem_at_start(filename, "is a directory, not a plan file")])
        if path.exists() and not path.is_file():
            raise PlanError([_problem_at_start(filename, "is not a regular file")])
        if path.stat().st_size > _MAX_BYTES:
            raise PlanError([_problem_at_start(filename, "is too large to be a plan (> 64 MiB)")])
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PlanError([_problem_at_start(filename, f"cannot read the file: {reason}")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report = Reporter(filename)
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        loc = Loc(data.count(b"\n", 0, exc.start) + 1, exc.start - line_start + 1)
        byte = data[exc.start : exc.start + 1].hex()
        report.add(loc, "", f"not UTF-8 text (byte 0x{byte})", "save the plan as UTF-8")
        raise PlanError(report.problems) from None


# ---- walking the schema ---------------------------------------------------------------------


def _convert(kind: schema.Kind, node: Node, path: str, report: Reporter) -> object:
    if isinstance(node, Broken):
        return INVALID
    if isinstance(kind, schema.Section):
        return _section(kind, node, path, report)
    if isinstance(kind, schema.ListOf):
        return _list_of(kind, node, path, report)
    return CONVERTERS[type(kind)](kind, node, path, report)


def _section(section: schema.Section, node: Node, path: str, report: Reporter) -> object:
    if not isinstance(node, Map):
        expected = "expected keys: " + ", ".join(section.names)
        report.add(node.loc, path, f"must be a mapping, not {describe(node)}", expected)
        return INVALID
    values: dict[str, Any] = {}
    complete = True
    for key, value in node.entries:
        spec = section.key(key.text)
        if spec is None:
            report.add(
                key.loc, child(path, key.text), "unknown key", _unknown_hint(key.text, section)
            )
            complete = False
            continue
        converted = _convert_value(spec, value, child(path, key.text), report)
        complete = complete and converted is not INVALID
        if converted is not INVALID:
            values[spec.target] = converted
    for spec in section.keys:
        if spec.required and node.key(spec.name) is None:
            report.add(node.loc, path, f"missing required key '{spec.name}'", _required_hint(spec))
            complete = False
    return _BUILDERS[section.name](_Fields(values, node, path, report, complete))


def _convert_value(spec: schema.Key, node: Node, path: str, report: Reporter) -> object:
    if isinstance(node, Scalar) and node.value is None:
        report.add(node.loc, path, "has no value", _null_hint(spec))
        return INVALID
    return _convert(spec.value, node, path, report)


def _null_hint(spec: schema.Key) -> str:
    kind = spec.value
    if isinstance(kind, schema.Ident) and kind.none is not None:
        return f"write `none` {kind.none_means}"
    return "give a value" if spec.required else "give a value, or remove the key"


def _required_hint(spec: schema.Key) -> str | None:
    if isinstance(spec.value, schema.Version):
        return "supported versions: " + ", ".join(str(v) for v in spec.value.supported)
    return f"add `{spec.name}:` ({spec.doc})"


def _homes() -> dict[str, list[str]]:
    """Key name → the sections that accept it, to say where a misplaced key belongs."""
    homes: dict[str, list[str]] = {}
    pending: list[schema.Section] = [schema.PLAN]
    while pending:
        section = pending.pop(0)
        for key in section.keys:
            homes.setdefault(key.name, []).append(section.name)
            kind = key.value.section if isinstance(key.value, schema.ListOf) else key.value
            if isinstance(kind, schema.Section):
                pending.append(kind)
    return homes


_HOMES: Final = _homes()
_PLACES: Final = {"plan": "at the top level", "rule": "in a rule"}


def _unknown_hint(name: str, section: schema.Section) -> str:
    close = difflib.get_close_matches(name, section.names, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    elsewhere = [home for home in _HOMES.get(name, []) if home != section.name]
    if elsewhere:
        places = " or ".join(_PLACES.get(home, f"under `{home}:`") for home in elsewhere)
        return f"'{name}' belongs {places}"
    return "allowed: " + ", ".join(section.names)


def _list_of(kind: schema.ListOf, node: Node, path: str, report: Reporter) -> object:
    what = kind.section.name
    if not isinstance(node, Seq):
        hint = f"start each {what} with `- name: ...`"
        report.add(node.loc, path, f"must be a list of {what}s, not {describe(node)}", hint)
        return INVALID
    if not node.items:
        report.add(node.loc, path, f"no {what}s", f"add at least one {what}")
        return INVALID
    built = [_convert(kind.section, sub, item(path, i), report) for i, sub in enumerate(node.items)]
    unique = kind.unique is None or _check_unique(kind.unique, what, node, path, report)
    if not unique or any(entry is INVALID for entry in built):
        return INVALID
    return tuple(built)


def _check_unique(key: str, what: str, node: Seq, path: str, report: Reporter) -> bool:
    first_seen: dict[object, Loc] = {}
    unique = True
    for i, sub in enumerate(node.items):
        value = sub.get(key) if isinstance(sub, Map) else None
        if not isinstance(value, Scalar) or not isinstance(value.value, str):
            continue
        if value.value in first_seen:
            hint = f"first used at line {first_seen[value.value].line}; {key}s must be unique"
            report.add(value.loc, child(item(path, i), key), f"duplicate {what} {key}", hint)
            unique = False
        first_seen.setdefault(value.value, value.loc)
    return unique


# ---- building the model, with the checks that span several keys ----------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Fields:
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


def _build_select(fields: _Fields) -> object:
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


def _build_update(fields: _Fields) -> object:
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


def _build_rule(fields: _Fields) -> object:
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
    if isinstance(action, Unrent) and values["select"] == Selector():
        hint = "add a condition such as `numbers:` or `renewal_date:`"
        fields.add("select", "unrent with an empty select would unrent every number", hint)
        return INVALID
    return Rule(name=values["name"], select=values["select"], action=action)


def _build_limits(fields: _Fields) -> object:
    return Limits(**fields.values) if fields.complete else INVALID


def _build_plan(fields: _Fields) -> object:
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


_BUILDERS: Final[dict[str, Callable[[_Fields], object]]] = {
    "plan": _build_plan,
    "rule": _build_rule,
    "select": _build_select,
    "update": _build_update,
    "limits": _build_limits,
}

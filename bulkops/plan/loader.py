"""Plan file → validated Plan, or PlanError listing every problem at once.

Three phases, each returning a value: read the bytes (`_read_text`), parse YAML into a tree that
keeps positions (`yamltree.parse`), then walk the schema in `schema.py` over the tree, converting
each value (`values.py`, `dates.py`) and building the model objects (`build.py`), where the few
rules that tie several keys together live, such as "a rule has exactly one action".
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any, Final

from bulkops.plan import schema
from bulkops.plan.build import BUILDERS, Fields
from bulkops.plan.describe import INVALID, describe
from bulkops.plan.model import Plan
from bulkops.plan.problems import START, Loc, PlanError, Problem, Reporter
from bulkops.plan.values import CONVERTERS
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
        raise _whole_file(filename, "the plan could not be read")
    return plan


def _whole_file(filename: str, message: str) -> PlanError:
    return PlanError([Problem(filename, START.line, START.column, "", message)])


def _read_text(path: Path) -> str:
    return _decode(_read_bytes(path), str(path))


def _read_bytes(path: Path) -> bytes:
    filename = str(path)
    try:
        if path.is_dir():
            raise _whole_file(filename, "is a directory, not a plan file")
        if path.exists() and not path.is_file():  # a FIFO or a device would block or never end
            raise _whole_file(filename, "is not a regular file")
        if path.stat().st_size > _MAX_BYTES:
            raise _whole_file(filename, "is too large to be a plan (> 64 MiB)")
        return path.read_bytes()
    except OSError as exc:
        raise _whole_file(filename, f"cannot read the file: {exc.strerror or exc}") from None


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        loc = Loc(data.count(b"\n", 0, exc.start) + 1, exc.start - line_start + 1)
        byte = data[exc.start : exc.start + 1].hex()
        report = Reporter(filename)
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
    misspelt: set[str] = set()
    for key, value in node.entries:
        spec = section.key(key.text)
        if spec is None and section.free_prefix and key.text.startswith(section.free_prefix):
            continue
        if spec is None:
            misspelt.update(_close(key.text, section))
            hint = _unknown_hint(key.text, section)
            report.add(key.loc, child(path, key.text), "unknown key", hint)
            complete = False
            continue
        converted = _convert_value(spec, value, child(path, key.text), report)
        complete = complete and converted is not INVALID
        if converted is not INVALID:
            values[spec.target] = converted
    complete = _has_required(section, node, path, report, misspelt) and complete
    return BUILDERS[section.name](Fields(values, node, path, report, complete))


def _has_required(
    section: schema.Section, node: Map, path: str, report: Reporter, misspelt: set[str]
) -> bool:
    missing = [spec for spec in section.keys if spec.required and node.key(spec.name) is None]
    for spec in missing:
        # `rulez:` already says "did you mean 'rules'?": no need to add "rules is missing".
        if spec.name not in misspelt:
            message = f"missing required key '{spec.name}'"
            report.add(node.loc, path, message, _required_hint(spec))
    return not missing


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


def _required_hint(spec: schema.Key) -> str:
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


def _close(name: str, section: schema.Section) -> list[str]:
    return difflib.get_close_matches(name, section.names, n=1, cutoff=0.6)


def _unknown_hint(name: str, section: schema.Section) -> str:
    close = _close(name, section)
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

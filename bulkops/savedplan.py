"""Saved plans: `plan --out FILE` writes the exact tasks; `apply FILE` runs those and nothing else.

The file is JSON with a `format`/`version` header, one task per line (reviewable, diffable), and the
plan's fingerprint. `load` recomputes the fingerprint from the tasks and refuses a file whose tasks
were edited by hand; `drift` tells apply which numbers changed on Plivo since the plan was made.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TextIO

from bulkops.numbers import (
    UPDATE_FIELDS,
    InvalidNumberError,
    NumberRecord,
    check_number,
)
from bulkops.plan.model import Limits, Plan
from bulkops.planner import (
    PlanResult,
    Task,
    before_state,
    changes_for,
    fingerprint,
)

FORMAT: Final = "bulkops-saved-plan"
VERSION: Final = 1
_SNIFF_BYTES: Final = 64 * 1024
_SNIFF: Final = re.compile(rb'"format"\s*:\s*"' + FORMAT.encode() + rb'"')
_FIELD_ORDER: Final = {name: index for index, name in enumerate(UPDATE_FIELDS)}
_ANNOTATION_TYPES: Final[Mapping[str, tuple[type, ...]]] = {
    "str": (str,),
    "bool": (bool,),
    "str | None": (str, type(None)),
}
# The JSON types each before-state field may take, read off NumberRecord's own annotations.
_RECORD_TYPES: Final = {
    f.name: _ANNOTATION_TYPES[str(f.type)] for f in dataclasses.fields(NumberRecord)
}
_REQUIRED_RECORD_FIELDS: Final = frozenset({"number", "number_type"})
# `save` writes the task list between these two lines, one task per line in between.
_TASKS_LINE: Final = ' "tasks": [\n'
_TASKS_END: Final = " ]\n"
# Any change on Plivo since review makes a saved task stale: what it writes, and what the
# plan's selectors read (renewal date, services, 10DLC status, …) alike.
# Region is a label for people, not state.
_FAILURE_BUDGET: Final = re.compile(r"[0-9]{1,9}|(100|[0-9]{1,2}(\.[0-9]+)?)%")
DRIFT_FIELDS: Final = tuple(f.name for f in dataclasses.fields(NumberRecord) if f.name != "region")


class SavedPlanError(Exception):
    """A saved plan that cannot be used; `str()` says which file and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class SavedPlan:
    fingerprint: str
    plan_name: str | None
    source: str | None  # the YAML plan it was made from, as a path
    created_at: datetime
    limits: Limits
    tasks: tuple[Task, ...]


def save(path: Path, result: PlanResult, plan: Plan, created_at: datetime) -> None:
    """Write `result`'s tasks to `path` atomically: readers see the old file or the new one."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "fingerprint": result.fingerprint,
        "plan_name": plan.name,
        "source": None if plan.source is None else str(plan.source),
        "created_at": created_at.isoformat(),
        "limits": _limits_to_json(plan.limits),
    }
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(header, ensure_ascii=False, indent=1)[:-2])
            out.write(',\n "tasks": [')
            for index, task in enumerate(result.tasks):
                out.write(",\n  " if index else "\n  ")
                out.write(json.dumps(_task_to_json(task), ensure_ascii=False))
            out.write("\n ]\n}\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _limits_to_json(limits: Limits) -> dict[str, Any]:
    return {
        "rate": limits.rate,
        "concurrency": limits.concurrency,
        "max_changes": limits.max_changes,
        "max_failures": limits.max_failures,
    }


def _task_to_json(task: Task) -> dict[str, Any]:
    return {
        "number": task.number,
        "rule": task.rule,
        "action": task.action,
        "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in task.changes],
        "body": dict(task.body),
        # Only what differs from an empty record: it halves a 300k-task file.
        "before": {
            name: value
            for name, value in before_state(task.before).items()
            if name in _REQUIRED_RECORD_FIELDS or (value is not None and value is not False)
        },
    }


def is_saved_plan(path: Path) -> bool:
    """True if `path` looks like a saved plan (a cheap sniff; `load` does the real checks)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and _SNIFF.search(head) is not None


def load(path: Path) -> SavedPlan:
    """Read and verify a saved plan; any problem raises SavedPlanError naming the file."""
    try:
        try:
            return _parse(*_stream(path))
        except _NotStreamable:
            # Not laid out as `save` writes it (reformatted by hand, say): parse it whole.
            doc = _read_whole(path)
            return _parse(doc, iter(_expect(doc, "tasks", list)))
    except _Foreign as problem:
        raise SavedPlanError(f"{path}: not a saved plan ({problem})") from None
    except _Invalid as problem:
        raise SavedPlanError(f"{path}: unusable saved plan: {problem}") from None
    except FileNotFoundError:
        raise SavedPlanError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SavedPlanError(f"{path}: cannot read it: {exc}") from None


class _Invalid(Exception):
    """One problem found in a saved plan's content."""


class _Foreign(_Invalid):
    """A file that is not a saved plan at all."""


class _NotStreamable(Exception):
    """The file is not in the one-task-per-line layout `save` writes."""


def _stream(path: Path) -> tuple[dict[str, Any], Iterator[Any]]:
    """The header, and the tasks decoded one line at a time, so 300k never sit in memory as JSON."""
    handle = path.open(encoding="utf-8")
    header_lines = []
    for line in handle:
        if line == _TASKS_LINE:
            break
        header_lines.append(line)
    else:
        handle.close()
        raise _NotStreamable
    try:
        header = json.loads("".join(header_lines) + '"tasks": []}')
    except json.JSONDecodeError:
        handle.close()
        raise _NotStreamable from None
    _check_header(header)
    return header, _task_lines(handle)


def _task_lines(handle: TextIO) -> Iterator[Any]:
    with handle:
        for line in handle:
            if line == _TASKS_END:
                if handle.read() != "}\n":
                    raise _NotStreamable
                return
            try:
                yield json.loads(line.removesuffix("\n").removesuffix(","))
            except json.JSONDecodeError:
                raise _NotStreamable from None
        raise _NotStreamable


def _read_whole(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise _Foreign(f"invalid JSON at {where}") from None
    _check_header(doc)
    assert isinstance(doc, dict)  # _check_header made sure
    return doc


def _check_header(doc: object) -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _Foreign(f'no "format": "{FORMAT}" header')
    if doc.get("version") != VERSION:
        raise _Invalid(
            f"version {doc.get('version')!r} is not supported "
            f"(this bulkops reads version {VERSION}); run `bulkops plan --out` again"
        )


def _parse(doc: Mapping[str, Any], raw_tasks: Iterator[Any]) -> SavedPlan:
    stored = _expect(doc, "fingerprint", str)
    tasks: list[Task] = []
    edited_changes: list[str] = []
    for index, raw in enumerate(raw_tasks):
        task, changes_match = _parse_task(index, raw)
        tasks.append(task)
        if not changes_match:
            edited_changes.append(f"task {index + 1} ({task.number})")
    if len({task.number for task in tasks}) != len(tasks):
        raise _Invalid("a number appears in more than one task")
    if fingerprint(tasks) != stored:
        raise _Invalid(
            "its tasks do not match its fingerprint (was it edited?); "
            "run `bulkops plan --out` again instead of editing the file"
        )
    if edited_changes:
        # The fingerprint covers what is sent; what a reviewer was shown must match it too.
        raise _Invalid(f"{edited_changes[0]}: its changes do not match its body (was it edited?)")
    return SavedPlan(
        fingerprint=stored,
        plan_name=_optional(doc, "plan_name", str),
        source=_optional(doc, "source", str),
        created_at=_parse_created_at(doc),
        limits=_parse_limits(_expect(doc, "limits", dict)),
        tasks=tuple(tasks),
    )


def _expect(doc: Mapping[str, Any], key: str, kind: type) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Invalid(f"{key!r} must be a {kind.__name__}, got {value!r:.60}")
    return value


def _optional(doc: Mapping[str, Any], key: str, kind: type) -> Any:
    return None if doc.get(key) is None else _expect(doc, key, kind)


def _parse_created_at(doc: Mapping[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(_expect(doc, "created_at", str))
    except ValueError:
        raise _Invalid("'created_at' is not an ISO date-time") from None


def _parse_limits(raw: Mapping[str, Any]) -> Limits:
    # The header is not under the fingerprint: hold it to the same ranges as a plan's limits.
    rate = raw.get("rate")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 10_000
    ):
        raise _Invalid(f"limits 'rate' must be a number in (0, 10000], got {rate!r:.60}")
    concurrency = _optional(raw, "concurrency", int)
    if concurrency is not None and not 1 <= concurrency <= 512:
        raise _Invalid(f"limits 'concurrency' must be 1..512, got {concurrency}")
    max_changes = _optional(raw, "max_changes", int)
    if max_changes is not None and max_changes < 0:
        raise _Invalid(f"limits 'max_changes' must not be negative, got {max_changes}")
    max_failures = _optional(raw, "max_failures", str)
    if max_failures is not None and not _FAILURE_BUDGET.fullmatch(max_failures):
        raise _Invalid(f"limits 'max_failures' must be like 10 or 5%, got {max_failures!r:.60}")
    return Limits(
        rate=None if rate is None else float(rate),
        concurrency=concurrency,
        max_changes=max_changes,
        max_failures=max_failures,
    )


def _parse_task(index: int, raw: object) -> tuple[Task, bool]:
    """The task, and whether the changes written in the file are the ones its body makes."""
    where = f"task {index + 1}"
    if not isinstance(raw, dict):
        raise _Invalid(f"{where} is not an object")
    try:
        number = check_number(raw.get("number"))
    except InvalidNumberError as exc:
        raise _Invalid(f"{where}: {exc}") from None
    where = f"task {index + 1} ({number})"
    action = raw.get("action")
    if action not in ("update", "unrent"):
        raise _Invalid(f"{where}: action must be 'update' or 'unrent', got {action!r:.60}")
    rule = raw.get("rule")
    if not isinstance(rule, str):
        raise _Invalid(f"{where}: 'rule' must be text")
    body = _parse_body(where, raw.get("body"))
    if (action == "unrent") != (not body):
        raise _Invalid(f"{where}: an update needs a body and an unrent must have none")
    before = _parse_record(where, raw.get("before"))
    if before.number != number:
        raise _Invalid(f"{where}: its before-state is for {before.number}")
    changes = changes_for(body, before)
    written = _parse_changes(where, raw.get("changes"))
    matches = written == tuple((c.field, c.before, c.after) for c in changes)
    return Task(number, rule, action, changes, body, before), matches


def _parse_body(where: str, raw: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise _Invalid(f"{where}: 'body' must be an object")
    for field, value in raw.items():
        if field not in _FIELD_ORDER:
            raise _Invalid(f"{where}: {field!r} is not a Plivo update field")
        if not isinstance(value, str):
            raise _Invalid(f"{where}: body field {field!r} must be text")
    return tuple(sorted(raw.items(), key=lambda pair: _FIELD_ORDER[pair[0]]))


def _parse_record(where: str, raw: object) -> NumberRecord:
    if (
        not isinstance(raw, dict)
        or not _REQUIRED_RECORD_FIELDS <= raw.keys() <= _RECORD_TYPES.keys()
    ):
        raise _Invalid(f"{where}: 'before' must hold the number's recorded fields, and only those")
    for name, value in raw.items():
        if not isinstance(value, _RECORD_TYPES[name]):
            raise _Invalid(f"{where}: before-state field {name!r} has the wrong type")
    return NumberRecord(**raw)


def _parse_changes(where: str, raw: object) -> tuple[tuple[Any, ...], ...]:
    """The written changes as (field, before, after), comparable to Change objects."""
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise _Invalid(f"{where}: 'changes' must be a list of objects")
    return tuple((c.get("field"), c.get("before"), c.get("after")) for c in raw)


def drift(task: Task, live: NumberRecord) -> tuple[str, ...]:
    """The fields whose live value differs from the task's saved before-state (empty: not stale)."""
    saved = task.before
    return tuple(field for field in DRIFT_FIELDS if _current(saved, field) != _current(live, field))


def _current(record: NumberRecord, field: str) -> object:
    # "" and None (and False and a missing value) all read as "nothing" on Plivo's side.
    return getattr(record, field) or None

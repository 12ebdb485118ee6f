"""Saved plans: `plan --out FILE` writes the exact tasks; `apply FILE` runs those and nothing else.

The file is JSON with a `format`/`version` header, one task per line (reviewable, diffable), and the
plan's fingerprint. `load` recomputes the fingerprint from the tasks and refuses a file whose tasks
were edited by hand; `drift` tells apply which numbers changed on Plivo since the plan was made.

The header also keeps the listings the tasks were selected with and their totals (`queries`), so
that the drift check can list those filters again rather than the whole account or one GET per
task. They came later to version 2: a file without them loads, and is checked as before. They
are not under the fingerprint: a wrong one costs requests, never a check (a task's number that
the listings do not show is read by GET).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TextIO

from bulkops.errors import InvalidInput
from bulkops.limits import LimitError, Limits
from bulkops.selection.query import Counted
from bulkops.tasks.fingerprint import fingerprint
from bulkops.tasks.model import (
    Task,
    TaskFormatError,
    TaskList,
    shows_its_changes,
    task_from_json,
    task_json,
)

FORMAT: Final = "bulkops-saved-plan"
VERSION: Final = 2
_SNIFF_BYTES: Final = 64 * 1024
_SNIFF: Final = re.compile(rb'"format"\s*:\s*"' + FORMAT.encode() + rb'"')
# `save` writes the task list between these two lines, one task per line in between.
_TASKS_LINE: Final = ' "tasks": [\n'
_TASKS_END: Final = " ]\n"


class SavedPlanError(InvalidInput):
    """A saved plan that cannot be used; `str()` says which file and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class AccountRef:
    """Which account a saved plan was reviewed against; it applies there and nowhere else."""

    auth_id: str
    api_url: str


@dataclass(frozen=True, slots=True)
class SavedPlan:
    fingerprint: str
    plan_name: str | None
    source: str | None  # the YAML plan it was made from, as a path
    created_at: datetime
    limits: Limits
    account: AccountRef
    tasks: tuple[Task, ...]
    queries: tuple[Counted, ...] = ()


def save(path: Path, task_list: TaskList, account: AccountRef, created_at: datetime) -> None:
    """Write the tasks to `path` atomically: readers see the old file or the new one."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "fingerprint": task_list.fingerprint,
        "plan_name": task_list.plan_name,
        "source": task_list.source,
        "created_at": created_at.isoformat(),
        "account": {"auth_id": account.auth_id, "api_url": account.api_url},
        "limits": task_list.limits.to_json(),
        "queries": [counted.to_json() for counted in task_list.queries],
    }
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(header, ensure_ascii=False, indent=1)[:-2])
            out.write(',\n "tasks": [')
            for index, task in enumerate(task_list.tasks):
                out.write(",\n  " if index else "\n  ")
                out.write(json.dumps(task_json(task), ensure_ascii=False))
            out.write("\n ]\n}\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


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
    edited: list[str] = []
    for index, raw in enumerate(raw_tasks):
        task = _parse_task(index, raw)
        tasks.append(task)
        if not shows_its_changes(raw, task):
            edited.append(f"task {index + 1} ({task.number})")
    if len({task.number for task in tasks}) != len(tasks):
        raise _Invalid("a number appears in more than one task")
    if fingerprint(tasks) != stored:
        raise _Invalid(
            "its tasks do not match its fingerprint (was it edited?); "
            "run `bulkops plan --out` again instead of editing the file"
        )
    if edited:
        # The fingerprint covers what is sent; what a reviewer was shown must match it too.
        raise _Invalid(f"{edited[0]}: its changes do not match its body (was it edited?)")
    return SavedPlan(
        fingerprint=stored,
        plan_name=_optional(doc, "plan_name", str),
        source=_optional(doc, "source", str),
        created_at=_parse_created_at(doc),
        limits=_parse_limits(_expect(doc, "limits", dict)),
        account=_parse_account(_expect(doc, "account", dict)),
        tasks=tuple(tasks),
        queries=_parse_queries(doc.get("queries")),
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
    try:
        return Limits.from_json(raw)
    except LimitError as problem:
        raise _Invalid(f"limits: {problem}") from None


def _parse_account(raw: Mapping[str, Any]) -> AccountRef:
    return AccountRef(auth_id=_expect(raw, "auth_id", str), api_url=_expect(raw, "api_url", str))


def _parse_queries(raw: object) -> tuple[Counted, ...]:
    if raw is None:
        return ()  # written before saved plans kept their queries
    if not isinstance(raw, list):
        raise _Invalid(f"'queries' must be a list, got {raw!r:.60}")
    return tuple(_parse_counted(index, item) for index, item in enumerate(raw))


def _parse_counted(index: int, raw: object) -> Counted:
    try:
        return Counted.from_json(raw)
    except ValueError as problem:
        raise _Invalid(f"queries[{index}]: {problem}") from None


def _parse_task(index: int, raw: object) -> Task:
    try:
        return task_from_json(raw)
    except TaskFormatError as problem:
        number = raw.get("number") if isinstance(raw, dict) else None
        where = f"task {index + 1}" + (f" ({number})" if isinstance(number, str) else "")
        raise _Invalid(f"{where}: {problem}") from None

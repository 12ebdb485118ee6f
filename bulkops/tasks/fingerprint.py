"""The fingerprint of a task list: what a reviewer saw is what `apply` of a saved plan sends."""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Iterator
from typing import Any, Final

from bulkops.tasks.model import RECORD_FIELDS, Task

_SORTED_FIELDS: Final = tuple(sorted(RECORD_FIELDS))
_SORTED_VALUES: Final = operator.attrgetter(*_SORTED_FIELDS)
_CHUNK: Final = 1024


def canonical(task: Task) -> dict[str, Any]:
    """The parts of a task the fingerprint covers: what is sent, and what it was planned against.

    Keys are inserted already sorted, so encoding needs no `sort_keys` (the costly part at 300k).
    """
    parts: dict[str, Any] = {
        "action": task.action,
        "before": dict(zip(_SORTED_FIELDS, _SORTED_VALUES(task.before), strict=True)),
        "body": dict(sorted(task.body)),
    }
    if task.evidence is not None:
        # What the check before its unrent asks again: edited, it could ask nothing.
        parts["evidence"] = dict(sorted(task.evidence.to_json().items()))
    parts["number"] = task.number
    return parts


def fingerprint(tasks: Iterable[Task]) -> str:
    """sha256 of the canonical JSON list of `tasks`; rule names are not part of it.

    Canonical: `json.dumps([...], sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
    over each task's number, action, body (an object), before-state (`asdict` of the record)
    and, for a task resting on usage, its evidence.
    """
    digest = hashlib.sha256(b"[")
    first = True
    for chunk in _chunks(tasks, _CHUNK):
        text = json.dumps(
            [canonical(task) for task in chunk],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        digest.update(("" if first else ",").encode() + text[1:-1].encode())
        first = False
    digest.update(b"]")
    return digest.hexdigest()


def _chunks(items: Iterable[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

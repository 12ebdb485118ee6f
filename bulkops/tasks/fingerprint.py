"""The fingerprint of a task list: what a reviewer saw is what `apply` of a saved plan sends."""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring
from typing import Final

from bulkops.tasks.model import RECORD_FIELDS, Task

_SORTED_FIELDS: Final = tuple(sorted(RECORD_FIELDS))
_SORTED_VALUES: Final = operator.attrgetter(*_SORTED_FIELDS)
_LITERALS: Final = {None: "null", True: "true", False: "false"}
# A task's canonical JSON with a slot (%s) for each encoded value, in sort_keys order.
_TEMPLATE: Final = (
    '{"action":%s,"before":{'
    + ",".join(f"{encode_basestring(name)}:%s" for name in _SORTED_FIELDS)
    + '},"body":{%s}%s,"number":%s}'
)
_CHUNK: Final = 1024


def canonical_json(task: Task) -> str:
    """The task's part of the canonical JSON list (see `fingerprint`), written directly.

    Byte for byte what `json.dumps(…, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)` writes; every task of a plan is encoded, and building the dicts for
    `json.dumps` cost more than encoding them.
    """
    # Text and null, most of a record, inline: a call of `_value` per field was half the cost.
    values = [
        encode_basestring(v) if type(v) is str else "null" if v is None else _value(v)
        for v in _SORTED_VALUES(task.before)
    ]
    body = ",".join([f"{encode_basestring(k)}:{_value(v)}" for k, v in sorted(task.body)])
    evidence = ""
    if task.evidence is not None:
        # What the check before its unrent asks again: edited, it could ask nothing.
        evidence = ',"evidence":' + _dumps(dict(sorted(task.evidence.to_json().items())))
    return _TEMPLATE % (
        encode_basestring(task.action),
        *values,
        body,
        evidence,
        encode_basestring(task.number),
    )


def _value(value: object) -> str:
    if type(value) is str:
        return encode_basestring(value)
    if value is None or type(value) is bool:
        return _LITERALS[value]
    return _dumps(value)


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def fingerprint(tasks: Iterable[Task]) -> str:
    """sha256 of the canonical JSON list of `tasks`; rule names are not part of it.

    Canonical: `json.dumps([...], sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
    over each task's number, action, body (an object), before-state (`asdict` of the record)
    and, for a task resting on usage, its evidence.
    """
    digest = hashlib.sha256(b"[")
    first = True
    for chunk in _chunks(tasks, _CHUNK):
        text = ",".join([canonical_json(task) for task in chunk])
        digest.update(("" if first else ",").encode() + text.encode())
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

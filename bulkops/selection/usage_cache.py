"""What earlier runs read of each number's calls and messages, kept in the state directory.

A nightly cleanup then reads only what is new since the night before. The cache is only ever a
saving: an unreadable file is set aside and everything is read again. One file per account, so
a state directory shared by several accounts never mixes their numbers.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from bulkops import logs
from bulkops.account import state_file
from bulkops.numbers import HISTORY_DAYS, NUMBER_PATTERN
from bulkops.selection.usage import Seen, Source, aware_time

VERSION: Final = 1

log = logs.get_logger("bulkops.usage")

Known = dict[Source, dict[str, Seen]]


def cache_path(state_dir: Path, auth_id: str, api_url: str) -> Path:
    return state_file(state_dir, auth_id, api_url, "json")


def load(path: Path) -> Known:
    """What the file holds; nothing if it is missing or unreadable (then all is read again)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != VERSION:
            raise ValueError(f"version {raw.get('version')!r}")
        return {
            Source.from_key(key): {number: _seen(entry) for number, entry in numbers.items()}
            for key, numbers in raw["sources"].items()
        }
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("usage_cache_unreadable", path=str(path), problem=str(exc)[:200])
        return {}


def save(path: Path, known: Mapping[Source, Mapping[str, Seen]], now: datetime.datetime) -> None:
    """Write `known` (what is older than Plivo's history is dropped) atomically, private."""
    horizon = now - datetime.timedelta(days=HISTORY_DAYS)
    body = {
        "version": VERSION,
        "sources": {
            source.key: {
                number: _entry(seen)
                for number, seen in sorted(numbers.items())
                if seen.to >= horizon and NUMBER_PATTERN.fullmatch(number)
            }
            for source, numbers in sorted(known.items(), key=lambda item: item[0].key)
        },
    }
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(body, out, separators=(",", ":"))
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise


def merged(old: Known, new: Mapping[Source, Mapping[str, Seen]]) -> Known:
    result = {source: dict(numbers) for source, numbers in old.items()}
    for source, numbers in new.items():
        result.setdefault(source, {}).update(numbers)
    return result


def _entry(seen: Seen) -> list[str | None]:
    return [_iso(seen.to), _iso(seen.last), _iso(seen.quiet_since)]


def _seen(entry: Any) -> Seen:
    to, last, quiet = entry
    to_time, last_time, quiet_time = aware_time(to), aware_time(last), aware_time(quiet)
    if to_time is None:
        raise ValueError("an entry without its time")
    if any(t is not None and t > to_time for t in (last_time, quiet_time)):
        raise ValueError("an entry that saw past its own end")
    return Seen(to_time, last_time, quiet_time)


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()

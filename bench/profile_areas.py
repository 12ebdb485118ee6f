"""Summarise a cProfile dump as time by area: journal, logging, planning, HTTP, event loop, idle.

Cumulative times overlap (a journal write is inside the executor, which is inside the event
loop), so each function's *own* time is counted once, in its area. A function that belongs to no
area (a builtin, json, the stdlib) passes its own time up to its callers, in proportion to how
much of it each caller caused, until an area is found. The areas then add up to the total.
"""

from __future__ import annotations

import pstats
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Final

Func = tuple[str, int, str]  # (filename, line, function name), as pstats keys them
IDLE: Final = "idle: waiting on sockets (epoll)"

_AREAS: Final[tuple[tuple[str, Callable[[str, str], bool]], ...]] = (
    (IDLE, lambda file, name: name == "<method 'poll' of 'select.epoll' objects>"),
    ("start-up (imports)", lambda file, name: "importlib" in file),
    (
        "journal (sqlite, group commit)",
        lambda file, name: "sqlite3" in name
        or file.endswith(("bulkops/journal.py", "bulkops/execute/recorder.py")),
    ),
    (
        "logging and output",
        lambda file, name: any(
            part in file for part in ("structlog/", "/logging/", "/rich/", "bulkops/report/")
        )
        or file.endswith("bulkops/cli/run_ui.py"),
    ),
    (
        "planning (plan, listing, select, diff)",
        lambda file, name: any(
            part in file
            for part in (
                "bulkops/plan/",
                "bulkops/select.py",
                "bulkops/planner.py",
                "bulkops/prepare.py",
                "bulkops/templates.py",
                "bulkops/numbers.py",
                "bulkops/savedplan.py",
                "bulkops/client/pages.py",
                "/yaml/",
            )
        ),
    ),
    (
        "HTTP (aiohttp, sockets, client)",
        lambda file, name: any(
            part in file
            for part in (
                "aiohttp/",
                "yarl/",
                "multidict/",
                "bulkops/client/",
                "asyncio/selector_events.py",
            )
        ),
    ),
    (
        "executor and event loop (anyio, asyncio, throttle, runner)",
        lambda file, name: any(
            part in file
            for part in (
                "asyncio/",
                "anyio/",
                "aiolimiter/",
                "sniffio/",
                "bulkops/execute/",
                "bulkops/runner.py",
                "bulkops/connect.py",
            )
        ),
    ),
)


def _area(func: Func) -> str | None:
    file, _, name = func
    for area, test in _AREAS:
        if test(file, name):
            return area
    return None


def summarise(path: str) -> dict[str, Any]:
    """Seconds and share per area, busy share (idle excluded), and the top own-time functions."""
    stats: dict[Func, Any] = pstats.Stats(path).stats  # type: ignore[attr-defined]
    memo: dict[Func, dict[str, float]] = {}

    def mix(func: Func) -> dict[str, float]:
        if func in memo:
            return memo[func]
        area = _area(func)
        if area is not None:
            memo[func] = {area: 1.0}
            return memo[func]
        memo[func] = {"other": 1.0}  # a cycle back here counts as other
        callers = stats[func][4] if func in stats else {}
        weights = {caller: edge[2] or edge[3] for caller, edge in callers.items()}
        total = sum(weights.values())
        if total > 0:
            blended: dict[str, float] = defaultdict(float)
            for caller, weight in weights.items():
                for name, share in mix(caller).items():
                    blended[name] += share * weight / total
            memo[func] = dict(blended)
        return memo[func]

    seconds: dict[str, float] = defaultdict(float)
    for func, (_, _, own, _, _) in stats.items():
        for name, share in mix(func).items():
            seconds[name] += own * share
    total = sum(seconds.values())
    busy = total - seconds.get(IDLE, 0.0)
    areas = [
        {
            "area": name,
            "seconds": round(value, 3),
            "share": round(value / total, 4) if total else 0.0,
            "busy_share": None if name == IDLE or not busy else round(value / busy, 4),
        }
        for name, value in sorted(seconds.items(), key=lambda item: -item[1])
    ]
    top = sorted(stats.items(), key=lambda item: -item[1][2])[:12]
    return {
        "total_seconds": round(total, 3),
        "busy_seconds": round(busy, 3),
        "areas": areas,
        "top_own_time": [
            {"function": f"{file}:{line}({name})", "seconds": round(value[2], 3)}
            for (file, line, name), value in top
        ],
    }

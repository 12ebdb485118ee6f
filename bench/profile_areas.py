"""Summarise a cProfile dump as time by area: journal, logging, planning, HTTP, event loop, idle.

Cumulative times overlap (a journal write is inside the executor, which is inside the event
loop), so each function's *own* time is counted once, in its area. A function that belongs to no
area (a builtin, json, the stdlib) passes its own time up to its callers, in proportion to how
much of it each caller caused, until an area is found. The areas then add up to the total.
"""

from __future__ import annotations

import pstats
from collections import defaultdict
from typing import Any, Final

Func = tuple[str, int, str]  # (filename, line, function name), as pstats keys them
IDLE: Final = "idle: waiting on sockets (epoll)"

# (area, path fragments, (path suffix, name fragment) pairs): the first area that matches wins.
_AREAS: Final[tuple[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]], ...]] = (
    (IDLE, (), (("~", "of 'select.epoll' objects"),)),
    ("start-up (imports)", ("importlib",), ()),
    (
        "journal (sqlite, group commit, journal rows)",
        ("bulkops/run/journal.py", "bulkops/run/recorder.py"),
        # execution.entries and the journal's row encoding turn the tasks into the journal's rows.
        (("~", "sqlite3."), ("bulkops/run/execution.py", "entries")),
    ),
    (
        "logging and output",
        ("structlog/", "/logging/", "/rich/", "bulkops/report/", "bulkops/cli/run_ui.py"),
        (),
    ),
    (
        "planning (plan, listing, select, diff)",
        (
            "bulkops/plan/",
            "bulkops/selection/",
            "bulkops/tasks/",
            "bulkops/numbers.py",
            "bulkops/client/pages.py",
            "/yaml/",
        ),
        (),
    ),
    (
        "HTTP (aiohttp, sockets, client)",
        ("aiohttp/", "yarl/", "multidict/", "bulkops/client/", "asyncio/selector_events.py"),
        (),
    ),
    (
        "executor and event loop (anyio, asyncio, throttle, runner)",
        (
            "asyncio/",
            "anyio/",
            "sniffio/",
            "bulkops/pace/",
            "bulkops/run/runner.py",
            "bulkops/run/execution.py",
            "bulkops/account.py",
        ),
        (),
    ),
)


# The stages of `bulkops apply`, by the cumulative time of one function each. A coroutine counts
# only while it runs (not while it awaits), which is what matters here.
_STAGES: Final = (
    ("list (pages fetched and parsed)", "bulkops/client/client.py", "list_numbers_page"),
    ("plan (build the tasks)", "bulkops/tasks/planner.py", "build"),
    ("write the run's tasks to the journal", "bulkops/run/journal.py", "create_run"),
    ("send and record the updates", "bulkops/run/runner.py", "_perform"),
)


def _area(func: Func) -> str | None:
    file, _, name = func
    for area, fragments, functions in _AREAS:
        if any(file.endswith(suffix) and part in name for suffix, part in functions):
            return area
        if any(fragment in file for fragment in fragments):
            return area
    return None


def summarise(path: str) -> dict[str, Any]:
    """Seconds and share per area, busy share (idle excluded), and the top own-time functions."""
    stats: dict[Func, Any] = pstats.Stats(path).stats  # type: ignore[attr-defined]
    memo: dict[Func, dict[str, float] | None] = {}

    def mix(func: Func) -> dict[str, float] | None:
        """Area shares of `func`'s own time; None while `func` is being worked out (a cycle)."""
        if func in memo:
            return memo[func]
        area = _area(func)
        if area is not None:
            memo[func] = {area: 1.0}
            return memo[func]
        memo[func] = None
        blended: dict[str, float] = defaultdict(float)
        callers = stats[func][4] if func in stats else {}
        for caller, edge in callers.items():
            weight = edge[2] or edge[3]
            shares = mix(caller) if caller != func else None  # recursion passes nothing up
            for name, share in (shares or {}).items():
                blended[name] += share * weight
        total = sum(blended.values())
        memo[func] = {k: v / total for k, v in blended.items()} if total > 0 else {"other": 1.0}
        return memo[func]

    seconds: dict[str, float] = defaultdict(float)
    for func, (_, _, own, _, _) in stats.items():
        for name, share in (mix(func) or {"other": 1.0}).items():
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
    stages = {
        label: round(value[3], 3)
        for label, suffix, name in _STAGES
        for (file, _, function), value in stats.items()
        if file.endswith(suffix) and function == name
    }
    return {
        "total_seconds": round(total, 3),
        "busy_seconds": round(busy, 3),
        "stages": stages,
        "areas": areas,
        "top_own_time": [
            {"function": f"{file}:{line}({name})", "seconds": round(value[2], 3)}
            for (file, line, name), value in top
        ],
    }

"""The live progress bar of a run, fitted to the terminal: lesser columns go first when narrow.

What a person watching needs most is how far the run is (done/total) and how long is left (ETA),
then whether anything failed; the rate, the elapsed time and the retry counts are extras. The
columns are chosen again at every refresh, so a resized terminal keeps the ones that matter.
A rich renderable: the CLI starts it on its console, nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

BAR_MIN: Final = 10
BAR_MAX: Final = 40
CLOCK: Final = 7  # "0:01:23", "-:--:--"


@dataclass(frozen=True)
class _Part:
    name: str
    width: Callable[[int, Mapping[str, Any]], int]  # (total, fields) → columns it takes
    make: Callable[[], ProgressColumn]


def _digits(value: object) -> int:
    return len(f"{value}")


# In display order; PRIORITY says which stay when not all fit.
PARTS: Final = (
    _Part("label", lambda total, f: 8, lambda: TextColumn("[bold]applying")),
    _Part("bar", lambda total, f: BAR_MIN, BarColumn),
    _Part("done", lambda total, f: 2 * _digits(total) + 1, MofNCompleteColumn),
    _Part("rate", lambda total, f: 12, lambda: TextColumn("{task.fields[rate]:>6.1f} req/s")),
    _Part(
        "retries",
        lambda total, f: 14 + _digits(f.get("retries", 0)) + _digits(f.get("throttled", 0)),
        lambda: TextColumn("retries {task.fields[retries]}  429s {task.fields[throttled]}"),
    ),
    _Part(
        "failed",
        lambda total, f: 7 + _digits(f.get("failed", 0)),
        lambda: TextColumn("[red]failed {task.fields[failed]}"),
    ),
    _Part("elapsed", lambda total, f: CLOCK, TimeElapsedColumn),
    _Part("eta", lambda total, f: CLOCK, TimeRemainingColumn),
)
PRIORITY: Final = ("done", "eta", "failed", "label", "bar", "rate", "elapsed", "retries")


def fitted(width: int, total: int, fields: Mapping[str, Any]) -> tuple[list[str], int]:
    """The columns (by name, in display order) that fit `width`, and the width left to the bar."""
    parts = {part.name: part for part in PARTS}
    chosen: set[str] = set()
    used = -1  # one space between columns: n columns, n - 1 spaces
    for name in PRIORITY:
        need = parts[name].width(total, fields) + 1
        if used + need > width:
            break  # never a lesser column in place of a more important one
        chosen.add(name)
        used += need
    bar = min(BAR_MAX, BAR_MIN + width - used) if "bar" in chosen else 0
    return [part.name for part in PARTS if part.name in chosen], bar


def columns_for(width: int, total: int, fields: Mapping[str, Any]) -> list[ProgressColumn]:
    names, bar = fitted(width, total, fields)
    parts = {part.name: part for part in PARTS}
    return [BarColumn(bar_width=bar) if name == "bar" else parts[name].make() for name in names]


class RunProgress(Progress):
    """A rich Progress whose columns fit the console's width at every refresh."""

    def make_tasks_table(self, tasks: Iterable[Task]) -> Table:
        shown = list(tasks)
        if getattr(self, "live", None) is None:
            return super().make_tasks_table(shown)  # rich draws once while it is being built
        total = int(shown[0].total or 0) if shown else 0
        fields = shown[0].fields if shown else {}
        self.columns = tuple(columns_for(self.console.width, total, fields))
        return super().make_tasks_table(shown)

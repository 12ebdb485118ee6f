"""The run's progress as people watch it: the bar at any width, and a rate that is the real one."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from bulkops.cli.run_ui import CurrentRate
from bulkops.report.run_progress import PRIORITY, RunProgress, fitted

FIELDS = {"rate": 57.3, "retries": 12, "throttled": 3, "failed": 7}
CLOCK = re.compile(r"(-:--:--|\d+:\d\d:\d\d)")


def frame(width: int, total: int = 15_000, done: int = 1_240) -> str:
    console = Console(file=io.StringIO(), width=width, record=True)
    progress = RunProgress(console=console, auto_refresh=False)
    task = progress.add_task("apply", total=total, **FIELDS)
    progress.update(task, completed=done)
    console.print(progress.make_tasks_table(progress.tasks))
    return console.export_text()


def test_at_60_columns_done_total_and_eta_stay() -> None:
    """On a narrow terminal the bar keeps "1240/15000" and the time left; extras go first."""
    text = frame(60)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert "1240/15000" in text
    assert len(CLOCK.findall(text)) == 1  # the ETA: the elapsed time went before it
    assert "failed 7" in text
    assert "…" not in text
    assert "retries" not in text


def test_at_120_columns_every_column_shows() -> None:
    """A wide terminal shows all: label, bar, done/total, rate, retries and 429s, failed, times."""
    text = frame(120)
    for part in ("applying", "1240/15000", "57.3 req/s", "retries 12", "429s 3", "failed 7"):
        assert part in text
    assert len(CLOCK.findall(text)) == 2
    assert "━" in text


@pytest.mark.parametrize("width", range(20, 130, 7))
def test_columns_drop_in_order_of_importance(width: int) -> None:
    """A column is only ever dropped after every lesser one; done/total goes last of all."""
    names, _bar = fitted(width, 15_000, FIELDS)
    kept = [name in names for name in PRIORITY]
    assert kept == sorted(kept, reverse=True), (width, names)
    assert "done" in names


def test_the_current_rate_is_over_the_last_seconds() -> None:
    """Samples five seconds apart (the -v log lines) give the rate between them, never 0."""
    rate = CurrentRate()
    assert rate(0, 100.0) == 0.0
    assert rate(250, 105.0) == pytest.approx(50.0)
    assert rate(750, 110.0) == pytest.approx(100.0)  # the last 5 s, not since the start
    assert rate(750, 115.0) == 0.0  # nothing sent meanwhile


def test_the_current_rate_forgets_what_is_older_than_its_window() -> None:
    """Frequent samples (the live bar) measure over about the last five seconds."""
    rate = CurrentRate()
    for tick in range(51):  # 10 s at 0.2 s: 10 requests a second, then 30
        seconds = tick * 0.2
        rate(int(10 * min(seconds, 5.0) + 30 * max(0.0, seconds - 5.0)), seconds)
    assert rate(50 + 30 * 5 + 6, 10.2) == pytest.approx(30.0, rel=0.05)

"""What `show`, `runs` and a run's summary look like: nothing cut, the same symbols as `plan`."""

from __future__ import annotations

import io

import pytest
from rich.console import Console, RenderableType

from bulkops.report.run_view import render_runs, render_summary, show_table
from bulkops.run.journal import Entry, RunInfo
from bulkops.run.outcome import RunReport, summarize
from tests.factories import task

APP_BEFORE, APP_AFTER = "29986316244302815", "16632559604105954"
SUBACCOUNT = "SASUPP5H8J2L6P0R4T7W"
INFO = RunInfo(
    "20250301-093012-4f2a1c",
    "relabel",
    None,
    "f" * 64,
    "MA" + "A" * 18,
    "x",
    "2025-03-01T09:30:12+00:00",
    "2025-03-01T09:31:00+00:00",
    "finished",
    {},
)
ENTRIES = [
    Entry(0, task("14155550100", {"app_id": APP_AFTER}, app_id=APP_BEFORE), "succeeded", 1),
    Entry(1, task("442071838750", {"alias": "Main line"}), "failed", 3, "Z" * 150),
    Entry(2, task("14155550102", {"subaccount": SUBACCOUNT}), "pending"),
    Entry(3, task("14155550103", {"alias": "x"}), "inflight"),
]


def text_of(renderable: RenderableType, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, record=True)
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize("width", [40, 60, 80, 100, 120, 200])
def test_show_never_cuts_a_number_or_an_id(width: int) -> None:
    """At any width every number, id and the whole error are there, unbroken."""
    text = text_of(show_table(INFO, ENTRIES, width=width), width)
    assert "…" not in text
    assert all(len(line) <= width for line in text.splitlines())
    for value in ("14155550100", "442071838750", APP_BEFORE, APP_AFTER, SUBACCOUNT, INFO.id):
        assert value in text, f"{value} missing at width {width}"
    assert text.count("Z") == 150  # the whole error, wrapped


def test_show_is_a_table_when_wide_and_blocks_when_narrow() -> None:
    """At 120 columns one row per number under headings; at 60, one block per number."""
    wide = text_of(show_table(INFO, ENTRIES, width=120), 120)
    narrow = text_of(show_table(INFO, ENTRIES, width=60), 60)
    assert "before → after" in wide
    assert "before → after" not in narrow
    assert "1 attempt" in narrow


def test_show_uses_the_symbols_of_plan() -> None:
    """Before → after with ∅ for nothing, as in the dry-run diff."""
    for width in (60, 120):
        text = text_of(show_table(INFO, ENTRIES, width=width), width)
        assert f"{APP_BEFORE} → {APP_AFTER}" in text
        assert "∅ → Main line" in text
        assert "None" not in text
        assert "->" not in text


def test_tasks_not_yet_run_read_pending_not_skipped() -> None:
    """A task still to send (or in flight) shows as pending in `show` and in the summary."""
    text = text_of(show_table(INFO, ENTRIES, width=120), 120)
    assert text.count("pending") == 2
    report = RunReport(INFO.id, "stopped", summarize({"succeeded": 1, "pending": 2}), 3, 0, 0, 1.0)
    summary = text_of(render_summary(report), 120)
    assert "2 pending" in summary
    assert "skipped" not in summary + text


def test_a_run_with_nothing_planned_says_so() -> None:
    """`show`, `runs` and the summary of an empty run say nothing was planned."""
    empty = summarize({})
    report = RunReport(INFO.id, "finished", empty, 0, 0, 0, 0.0)
    assert "nothing was planned" in text_of(render_summary(report), 120)
    assert "nothing was planned in this run" in text_of(show_table(INFO, [], width=120), 120)
    assert "nothing planned" in text_of(render_runs([(INFO, empty, "finished")]), 120)


def test_a_run_that_changed_nothing_says_nothing_needed_changing() -> None:
    """Every number already as planned: the summary says so rather than listing zeros alone."""
    report = RunReport(INFO.id, "finished", summarize({"unchanged": 4}), 0, 0, 0, 0.0)
    assert "nothing needed changing: " in text_of(render_summary(report), 120)

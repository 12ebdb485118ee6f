"""Loggers that load structlog only when they write: what a run at the default level skips."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog
from structlog.testing import capture_logs

from bulkops import logs


@pytest.fixture
def setups() -> Iterator[list[int]]:
    """Configure at WARNING with a setup that counts its runs; the defaults come back after."""
    ran: list[int] = []
    structlog.reset_defaults()  # whatever an earlier command configured (its level, too)
    logs.configure(logging.WARNING, lambda: ran.append(1))
    yield ran
    logs.configure(logging.WARNING, lambda: None)
    structlog.reset_defaults()


def test_a_line_below_the_level_is_dropped_without_configuring_anything(
    setups: list[int],
) -> None:
    log = logs.get_logger("bulkops.test")
    with capture_logs() as written:
        log.info("progress", done=1)
        log.debug("detail")
    assert written == []
    assert setups == [], "structlog was set up for a line nobody will see"


def test_the_first_line_at_the_level_sets_structlog_up_once_and_every_line_is_written(
    setups: list[int],
) -> None:
    log = logs.get_logger("bulkops.test")
    with capture_logs() as written:
        log.warning("task_failed", number="14155550100")
        log.error("stopped")
        logs.get_logger("bulkops.other").warning("slowing_down", rate=44.25)
    assert setups == [1]
    assert [(line["event"], line["log_level"]) for line in written] == [
        ("task_failed", "warning"),
        ("stopped", "error"),
        ("slowing_down", "warning"),
    ]
    assert written[0]["number"] == "14155550100"


def test_a_lower_level_lets_info_through(setups: list[int]) -> None:
    """-v: progress lines are written."""
    logs.configure(logging.INFO, lambda: setups.append(2))
    with capture_logs() as written:
        logs.get_logger("bulkops.progress").info("progress", done=3, total=9)
    assert setups == [2]
    assert written == [{"event": "progress", "done": 3, "total": 9, "log_level": "info"}]

"""What people see of other people's text: no terminal control, and never unbounded."""

from __future__ import annotations

import io

from rich.console import Console

from bulkops.numbers import NumberRecord
from bulkops.plan.model import Plan, Rule, Selector, Update
from bulkops.report.diff import render_plan
from bulkops.report.text import safe
from bulkops.selection import Selection
from bulkops.tasks import build


def test_escape_sequences_are_shown_not_obeyed() -> None:
    """ESC, BEL, carriage returns and bidi overrides come out as visible escapes."""
    assert safe("a\x1b[2Jb\x07\r\u202ec") == "a\\x1b[2Jb\\x07\\x0d\\u202ec"
    assert safe("Main Line, Zürich") == "Main Line, Zürich"


def test_long_values_are_clipped_and_counted() -> None:
    """A huge value shows its first characters and how long it really is."""
    shown = safe("x" * 3_000, limit=10)
    assert shown == "xxxxxxxxxx… (3,000 characters)"


def test_the_plan_diff_never_sends_control_characters_to_the_terminal() -> None:
    """An alias from Plivo with an escape sequence is drawn as text, and a huge one is clipped."""
    hostile = "\x1b]0;pwned\x07" + "A" * 100_000
    record = NumberRecord("14155550100", "local", alias=hostile)
    rule = Rule("r", Selector(), Update((("alias", "clean"),)))
    tasks = build(Plan(version=1, rules=(rule,)), Selection(matched={"r": [record]}))
    console = Console(file=io.StringIO(), width=200, record=True)
    console.print(render_plan(tasks))
    text = console.export_text()
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\\x1b]0;pwned\\x07" in text
    assert "(100,010 characters)" in text
    assert len(text) < 5_000

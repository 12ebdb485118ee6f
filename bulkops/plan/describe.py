"""How to tell a user what YAML made of their value, and the INVALID marker converters return.

YAML 1.1 reads `no` as false, `+14155550100` as a number without its `+`, and `0123` as octal 83.
`describe` says so in the message, and `quote_hint` shows the quoted form that means what the
user wrote.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from typing import Final

from bulkops.plan.problems import Reporter
from bulkops.plan.yamltree import Broken, Map, Node, Scalar

_OCTAL: Final = re.compile(r"[-+]?0[0-7_]+")


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Final = _Invalid()


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def show(value: object) -> str:
    """`str(value)`, except for ints too long to print (YAML reads `0xfff…` of any length)."""
    try:
        return str(value).lower() if isinstance(value, bool) else str(value)
    except ValueError:
        return "(too many digits to show)"


def clip(text: str, limit: int = 60) -> str:
    """`text`, shortened for a one-line message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(node: Node) -> str:
    """How YAML read `node`, in words, pointing out the surprising readings."""
    if isinstance(node, Broken):
        return "an unusable value"
    if isinstance(node, Map):
        return "a mapping"
    if not isinstance(node, Scalar):
        return "a list"
    value = node.value
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f"the text {clip(value)!r}"
    shown = show(value)
    kind = "boolean" if isinstance(value, bool) else _scalar_kind(value)
    if node.text == shown:
        return f"the {kind} {shown}"
    octal = is_int(value) and _OCTAL.fullmatch(node.text)
    reads = f"YAML reads `{clip(node.text)}` as {'octal ' if octal else ''}{shown}"
    return f"the {kind} {shown} ({reads})"


def _scalar_kind(value: object) -> str:
    if isinstance(value, datetime):
        return "timestamp"
    return "date" if isinstance(value, date) else "number"


def quote_hint(node: Node) -> str | None:
    if isinstance(node, Scalar) and node.value is not None:
        return f'quote it: "{clip(node.text)}"'
    return None


def choices_hint(word: str, allowed: tuple[str, ...]) -> str:
    by_lower = {value.lower(): value for value in allowed}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    listed = "allowed: " + ", ".join(allowed)
    return f"did you mean {by_lower[close[0]]!r}? {listed}" if close else listed


def text_of(node: Node, path: str, report: Reporter, what: str) -> str | None:
    """The node's string, or None after reporting that it is not a string."""
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return node.value
    report.add(node.loc, path, f"must be {what}, not {describe(node)}", quote_hint(node))
    return None

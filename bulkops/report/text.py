"""Text from plans and from Plivo, made safe to show a person: no terminal control, bounded size.

An alias is anybody's text: an escape sequence in it must not reach the terminal (it could move
the cursor, retitle the window, hide lines), and a 300 MB alias must not become a 300 MB diff.
Machine output (JSON, CSV) keeps values exactly as they are.
"""

from __future__ import annotations

import unicodedata
from typing import Final

LIMIT: Final = 200  # characters of one value shown; the rest is counted, not printed


def safe(text: str, limit: int = LIMIT) -> str:
    """`text` with control characters shown as escapes (\\x1b, \\u202e) and clipped to `limit`."""
    clipped = text if len(text) <= limit else text[:limit]
    shown = "".join(_visible(ch) for ch in clipped)
    if len(text) > limit:
        shown += f"… ({len(text):,} characters)"
    return shown


def _visible(ch: str) -> str:
    if ch.isprintable() or ch == " ":
        return ch
    if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ch

"""`python -m bulkops` and the `bulkops` script: the command line as a process of its own."""

from __future__ import annotations

import gc
from collections.abc import Sequence


def run(argv: Sequence[str] | None = None) -> int:
    """`bulkops ARGV` in a fresh process (in-process callers, the tests, use `bulkops.cli.main`)."""
    # What start-up loads lives until exit: the collector scanning it while it loads, and again in
    # the full collection at exit, was ~6 % of a command's start-up. Load it with the collector
    # off, then freeze it, so that no collection looks at it again.
    gc.disable()
    from bulkops.cli import main

    gc.freeze()
    gc.enable()
    return main(argv)


if __name__ == "__main__":
    raise SystemExit(run())

"""`python -m bulkops` and the `bulkops` script: the command line as a process of its own."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence


def run(argv: Sequence[str] | None = None) -> int:
    """`bulkops ARGV` in a fresh process (in-process callers, the tests, use `bulkops.cli.main`)."""
    words = sys.argv[1:] if argv is None else list(argv)
    # What start-up loads lives until exit: the collector scanning it while it loads, and again in
    # the full collection at exit, was ~6 % of a command's start-up. Load it (the command's own
    # module too) with the collector off, then freeze it, so that no collection looks at it again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        from bulkops import cli

        cli.load_command(words)
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
    return cli.main(words)


if __name__ == "__main__":
    raise SystemExit(run())

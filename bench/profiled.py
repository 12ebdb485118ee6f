"""`python -m bench.profiled OUT.pstats ARGS…`: run `bulkops ARGS…` in this process under cProfile.

The profiler starts before bulkops is imported, so start-up (imports) shows up as its own area.
"""

from __future__ import annotations

import cProfile
import sys


def main(out: str, argv: list[str]) -> int:
    profile = cProfile.Profile()
    profile.enable()
    try:
        from bulkops.cli import main as bulkops_main

        code = bulkops_main(argv)
    finally:
        profile.disable()
        profile.dump_stats(out)
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2:]))

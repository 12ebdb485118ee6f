"""`python -m bench.spawn USAGE.json CMD…`: run CMD, then write what it cost to USAGE.json.

Why a wrapper: on Linux a process's peak RSS (ru_maxrss) starts at its parent's high-water mark,
which fork and exec carry over. The benchmark process holds the emulator's request logs, so its
children would report the benchmark's own peak instead of theirs. This wrapper is small, so
CMD's figure is CMD's (give or take the wrapper's ~10 MB, below any Python program's own).
It exits with CMD's status (128 + signal number if CMD was killed by a signal).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(out: str, cmd: list[str]) -> int:
    started = time.monotonic()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    ended = time.monotonic()
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits on it again
    code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    with open(out, "w") as file:
        json.dump(
            {
                "started": started,
                "ended": ended,
                "maxrss_kb": usage.ru_maxrss,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "exit": code,
            },
            file,
        )
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2:]))

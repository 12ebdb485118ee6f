"""`python -m bench.instructions`: bulkops' own CPU per task, in instructions (valgrind).

CPU time on a shared machine swings ±20 % from run to run, more than most changes to bulkops'
code are worth; an instruction count does not. This runs `apply` of an alias update over every
number through `bench.offline` (the wire replaced by memory) under `valgrind --tool=cachegrind`
at two inventory sizes, and prints one JSON line: instructions per task (the difference of the
two runs over the difference of their sizes) and the fixed part (start-up, imports). Compare two
commits with it, not two machines. Needs valgrind (Debian package `valgrind`).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import write_plan
from bench.processes import AUTH_ID, AUTH_TOKEN, ROOT, child_env, compile_ahead

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(count: int, work: Path) -> int:
    plan = write_plan(work, f"offline{count}", "offline")
    state = work / f"state-{count}"
    cmd = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
        sys.executable, "-m", "bench.offline", str(count),
        "apply", str(plan), "--yes", "--json", "--rate", "10000", "--concurrency", "16",
        "--state-dir", str(state),
    ]  # fmt: skip
    env = child_env(
        {
            "PYTHONPATH": str(ROOT),
            "PLIVO_AUTH_ID": AUTH_ID,
            "PLIVO_AUTH_TOKEN": AUTH_TOKEN,
            "PLIVO_API_URL": "http://127.0.0.1:9",  # never reached: the wire is in memory
            "PYTHONHASHSEED": "0",  # the same hashing in every run: the same instructions
        }
    )
    done = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True, check=False)
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"offline apply failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return int(found[1].replace(",", ""))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--small", type=int, default=1000, help="numbers in the first run")
    parser.add_argument("--large", type=int, default=3000, help="numbers in the second run")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    compile_ahead()
    with tempfile.TemporaryDirectory(prefix="bulkops-instructions-") as scratch:
        small, large = (instructions(n, Path(scratch)) for n in (args.small, args.large))
    per_task = (large - small) / (args.large - args.small)
    print(
        json.dumps(
            {
                "instructions_per_task": round(per_task),
                "fixed_instructions": round(small - per_task * args.small),
                "sizes": [args.small, args.large],
                "commit": _commit(),
            }
        )
    )
    return 0


def _commit() -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or None if done.returncode == 0 else None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

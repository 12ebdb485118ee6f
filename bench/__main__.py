"""`python -m bench [--quick] [--only NAME ...] [--out FILE]`: run, print one table, write JSON."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from bench import results
from bench.processes import compile_ahead
from bench.scenarios import (
    Context,
    checkpoint,
    efficiency,
    latency,
    overhead,
    rate,
    scale,
    sdk,
)

SCENARIOS: tuple[ModuleType, ...] = (
    rate,
    overhead,
    sdk,
    scale,
    checkpoint,
    latency,
    efficiency,
)
DEFAULT_OUT = Path(__file__).parent / "results" / "latest.json"


def parse_args(argv: list[str]) -> argparse.Namespace:
    names = [module.NAME for module in SCENARIOS]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument(
        "--only", action="append", choices=names, metavar="NAME", help=f"one of {names}"
    )
    parser.add_argument("--out", type=Path, default=None, help=f"JSON file (default {DEFAULT_OUT})")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    chosen = [m for m in SCENARIOS if not args.only or m.NAME in args.only]
    env = results.environment(args.quick)
    out = args.out or DEFAULT_OUT
    if args.quick and args.out is None:
        out = out.with_name("quick.json")  # a smoke run never overwrites the real figures
    done: list[results.ScenarioResult] = []
    scratch = tempfile.mkdtemp(prefix="bulkops-bench-")
    compile_ahead()
    started = time.monotonic()
    try:
        for module in chosen:
            print(f"… {module.TITLE}", file=sys.stderr, flush=True)
            began = time.monotonic()
            result = module.run(Context(quick=args.quick, root=Path(scratch)))
            result.seconds = time.monotonic() - began
            print(f"  done in {result.seconds:.0f}s", file=sys.stderr, flush=True)
            done.append(result)
    finally:
        env["total_seconds"] = round(time.monotonic() - started, 1)
        if done:
            results.print_table(done, env)
            results.write_json(out, done, env)
            print(f"wrote {out} ({env['total_seconds']:.0f}s in all)", file=sys.stderr)
        if not args.keep:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"scratch kept in {scratch}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

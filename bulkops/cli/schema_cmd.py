"""`bulkops schema` (hidden, for maintainers): write the plan-format reference and JSON Schema.

Both files are generated from `bulkops/plan/schema.py`; a test regenerates them and fails when the
committed ones differ, naming this command.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Final

from bulkops.cli import common
from bulkops.cli.common import err, out
from bulkops.errors import ExitCode
from bulkops.plan.jsonschema import plan_json_schema
from bulkops.report.plan_format import REGENERATE, SCHEMA_FILE, plan_format_markdown

FORMAT_FILE: Final = "plan-format.md"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # No help=: argparse then leaves it out of `bulkops --help`; users never need it.
    parser = subparsers.add_parser(
        "schema",
        description=f"Write {FORMAT_FILE} and {SCHEMA_FILE}, generated from the plan schema, "
        "into DIR (or, with --check, say whether the files there are up to date).",
        epilog=common.examples("bulkops schema --docs docs", "bulkops schema --docs docs --check"),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument(
        "--docs", type=Path, default=Path("docs"), metavar="DIR", help="default ./docs"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is out of date"
    )
    parser.set_defaults(run=run)


def generated() -> dict[str, str]:
    """Each generated file's name and its text."""
    return {
        FORMAT_FILE: plan_format_markdown(),
        SCHEMA_FILE: json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n",
    }


def run(args: argparse.Namespace) -> int:
    stale = []
    for name, text in generated().items():
        path = args.docs / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
            out.print(f"wrote {path}")
    if args.check and stale:
        err.print(f"out of date: {', '.join(map(str, stale))}; regenerate with: {REGENERATE}")
        return ExitCode.FAILED
    return ExitCode.OK

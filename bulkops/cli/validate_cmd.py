"""`bulkops validate PLAN`: check a plan file and report every problem in it at once.

Exit 0 with a one-line summary on stdout when the plan is valid; exit 2 with one line per
problem on stderr (`FILE:LINE:COL: PATH: what is wrong; hint`) when it is not.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bulkops.cli import common
from bulkops.errors import ExitCode
from bulkops.plan.loader import load_plan
from bulkops.plan.model import Plan, Update
from bulkops.plan.problems import PlanError, Problem


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a plan file and list every problem in it",
        description="Check a plan file without contacting Plivo; list every problem at once, "
        "each with file:line:column, its path in the plan and a hint. Exit 2 if there is any.",
        epilog=common.examples(
            "bulkops validate plans/cleanup-unused.yaml",
            "bulkops validate plans/reassign-to-ivr.yaml --json",
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument("plan", metavar="PLAN", type=Path, help="the plan file (YAML)")
    parser.add_argument(
        "--json", action="store_true", help='print {"valid": ..., "problems": [...]} on stdout'
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    path: Path = args.plan
    try:
        plan = load_plan(path)
    except PlanError as exc:
        _print_problems(exc.problems, str(path), as_json=args.json)
        return ExitCode.INVALID
    if args.json:
        print(json.dumps({"valid": True, "problems": []}))
    else:
        print(summary(plan, str(path)))
    return ExitCode.OK


def summary(plan: Plan, filename: str) -> str:
    """`plans/x.yaml: OK: plan 'x', 3 rules (2 updates, 1 unrent)`."""
    updates = sum(isinstance(rule.action, Update) for rule in plan.rules)
    actions = [_count(updates, "update"), _count(len(plan.rules) - updates, "unrent")]
    named = f"plan {plan.name!r}, " if plan.name else ""
    shown = ", ".join(action for action in actions if not action.startswith("0 "))
    return f"{filename}: OK: {named}{_count(len(plan.rules), 'rule')} ({shown})"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _print_problems(problems: list[Problem], filename: str, *, as_json: bool) -> None:
    if as_json:
        body = {"valid": False, "problems": [problem.as_dict() for problem in problems]}
        print(json.dumps(body))
        return
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{filename}: {_count(len(problems), 'problem')}", file=sys.stderr)

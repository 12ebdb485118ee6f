"""Start-up: a command imports what it runs, not the whole of bulkops.

Imports are most of a short command's CPU (dataclasses are generated when their module loads).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bulkops.cli import COMMANDS, build_parser

REPO = Path(__file__).resolve().parents[2]
# Imported only by commands other than apply (revert, runs prune, schema, completion).
NOT_FOR_APPLY = (
    "bulkops.cli.completion",
    "bulkops.plan.jsonschema",
    "bulkops.report.plan_format",
    "bulkops.report.prune_view",
    "bulkops.report.revert_view",
    "bulkops.run.prune",
    "bulkops.tasks.revert",
)


def _run(*argv: str) -> tuple[int, set[str]]:
    """`bulkops ARGV` in a fresh interpreter: its exit code, and the modules loaded by then."""
    code = (
        "import sys\nfrom bulkops.cli import main\n"
        "code = main(sys.argv[1:])\nprint(code, *sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=REPO, capture_output=True, text=True, check=True
    )
    exit_code, *modules = done.stdout.splitlines()[-1].split()
    return int(exit_code), set(modules)


def test_apply_imports_no_other_command(tmp_path: Path) -> None:
    _, loaded = _run("apply", str(tmp_path / "missing.yaml"), "--yes", "--json")
    assert "bulkops.cli.apply_cmd" in loaded  # it ran (and failed: the plan is missing)
    others = {f"bulkops.cli.{name}_cmd" for name in COMMANDS if name != "apply"}
    assert not loaded & (others | set(NOT_FOR_APPLY))


def test_a_run_that_logs_nothing_never_loads_structlog(tmp_path: Path) -> None:
    """A whole apply at the default level (the sandbox's, every number done) writes no log line,
    so structlog and the rich modules only its console needs stay unloaded."""
    plan = REPO / "plans" / "reassign-to-ivr.yaml"
    argv = ["apply", str(plan), "--sandbox", "--yes", "--json", "--state-dir", str(tmp_path)]
    exit_code, loaded = _run(*argv)
    assert exit_code == 0  # every number done
    assert not {name for name in loaded if name.split(".")[0] == "structlog"}
    assert "rich.traceback" not in loaded


def _outcome(only: str | None, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What parsing `argv` gives (the arguments, or the exit) and prints, as text to compare."""
    try:
        parsed: object = vars(build_parser(only).parse_args(argv))
    except SystemExit as exc:
        parsed = exc.code
    return str((parsed, capsys.readouterr()))


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("rest", [["--help"], ["--no-such-flag"], []])
def test_a_command_parses_alone_as_among_all(
    name: str, rest: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The parser built for one command answers its line exactly as the whole parser does."""
    argv = [name, *rest]
    alone = _outcome(name, argv, capsys)
    among_all = _outcome(None, argv, capsys)
    assert alone == among_all


def test_the_process_entry_freezes_what_start_up_loaded(tmp_path: Path) -> None:
    """`python -m bulkops` and the script keep start-up's objects out of every collection.

    The collector is on again for the command itself (the emulator runs for hours).
    """
    code = (
        "import gc, sys\nfrom bulkops.__main__ import run\n"
        "run(['validate', sys.argv[1]])\n"
        "from bulkops.cli import validate_cmd\n"
        "tracked = {id(o) for o in gc.get_objects()}\n"
        "print(gc.isenabled(), gc.get_freeze_count(), id(validate_cmd.add_parser) in tracked)"
    )
    plan = tmp_path / "missing.yaml"
    done = subprocess.run(
        [sys.executable, "-c", code, str(plan)], cwd=REPO, capture_output=True, text=True
    )
    enabled, frozen, command_tracked = done.stdout.splitlines()[-1].split()
    assert enabled == "True"
    assert int(frozen) > 10_000  # every module, class and function bulkops.cli loads
    assert command_tracked == "False"  # the command's own module was frozen with the rest

"""Plan validation as a user meets it: one fixture per mistake, and the `bulkops validate` command.

Each file in tests/fixtures/invalid_plans/ starts with `# expect: LINE: FRAGMENT`: loading it must
fail with a problem on that line whose text contains the fragment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bulkops.cli import main
from bulkops.plan.loader import load_plan, load_plan_text
from bulkops.plan.problems import PlanError, Problem

FIXTURES = Path(__file__).parent.parent / "fixtures"
INVALID = sorted((FIXTURES / "invalid_plans").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid_plans").glob("*.yaml"))
EXPECT = re.compile(r"# expect: (\d+): (.+)")
PROBLEM_LINE = re.compile(r"^.+:\d+:\d+: .+")


def expectation(path: Path) -> tuple[int, str]:
    first_line = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    match = EXPECT.fullmatch(first_line.strip())
    assert match, f"{path.name}: first line must be '# expect: LINE: FRAGMENT'"
    return int(match.group(1)), match.group(2)


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    return caught.value.problems


def test_every_invalid_case_has_a_fixture() -> None:
    """The invalid-plan catalogue is not accidentally emptied."""
    assert len(INVALID) >= 100


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_plan_reports_the_expected_problem(path: Path) -> None:
    """Each invalid fixture is rejected with the expected message, on the expected line."""
    line, fragment = expectation(path)
    problems = problems_of(path)
    assert any(p.line == line and fragment in str(p) for p in problems), "\n".join(
        map(str, problems)
    )


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_problems_carry_a_usable_location(path: Path) -> None:
    """Every problem names the file and a 1-based line and column inside it."""
    lines = max(1, path.read_bytes().count(b"\n") + 1)
    for problem in problems_of(path):
        assert problem.file == str(path)
        assert 1 <= problem.line <= lines
        assert problem.column >= 1
        assert PROBLEM_LINE.match(str(problem))


def test_all_problems_are_reported_at_once_in_file_order() -> None:
    """Three mistakes in three places come back together, sorted by position."""
    text = (
        "version: 1\n"
        "rules:\n"
        "  - name: a\n"
        "    select: {tpye: local}\n"
        "    update: {alias: x}\n"
        "  - name: b\n"
        "    select: {numbers: [14155550100]}\n"
        "    unrent: true\n"
        "limits: {rate: 0}\n"
    )
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "p.yaml")
    shown = [(p.line, p.path) for p in caught.value.problems]
    assert shown == [
        (4, "rules[0].select.tpye"),
        (7, "rules[1].select.numbers[0]"),
        (9, "limits.rate"),
    ]


def test_problem_text_follows_the_file_line_column_format() -> None:
    """A problem reads `FILE:LINE:COL: PATH: message; hint`, and drops absent parts."""
    full = Problem(
        "plans/x.yaml", 7, 7, "rules[0].select.tpye", "unknown key", "did you mean 'type'?"
    )
    bare = Problem("plans/x.yaml", 1, 1, "", "the plan is empty")
    assert str(full) == "plans/x.yaml:7:7: rules[0].select.tpye: unknown key; did you mean 'type'?"
    assert str(bare) == "plans/x.yaml:1:1: the plan is empty"


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    """A `!!python/object/apply` tag is rejected without running anything."""
    marker = tmp_path / "ran"
    text = (
        "version: 1\n"
        "rules:\n"
        "  - name: a\n"
        "    select: {type: local}\n"
        f'    update: {{alias: !!python/object/apply:os.system ["touch {marker}"]}}\n'
    )
    with pytest.raises(PlanError):
        load_plan_text(text, "p.yaml")
    assert not marker.exists()


def test_alias_bombs_are_cheap() -> None:
    """Nested aliases that would expand to billions of values are validated quickly."""
    lines = ['a0: &a0 ["1"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    text = "version: 1\n" + "\n".join(f"x-{line}" for line in lines) + "\nrules: *a9\n"
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "p.yaml")
    assert len(caught.value.problems) == 9  # one per rule of the top list, not 9**9


# ---- the command ------------------------------------------------------------------------------


def test_validate_accepts_a_valid_plan_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A valid plan exits 0 and prints one OK line naming the rules and actions."""
    path = FIXTURES / "valid_plans" / "every_select_condition.yaml"
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == (f"{path}: OK: plan 'campaign-numbers-to-ivr', 2 rules (1 update, 1 unrent)\n")
    assert err == ""


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_validate_exits_zero_for_every_valid_fixture(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every valid fixture passes `bulkops validate`."""
    assert main(["validate", str(path)]) == 0
    assert ": OK: " in capsys.readouterr().out


def test_validate_lists_every_problem_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid plan exits 2 and prints one FILE:LINE:COL line per problem, then a count."""
    path = FIXTURES / "invalid_plans" / "unknown_key_select.yaml"
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{path}:6:7: rules[0].select.tpye: unknown key; did you mean 'type'?",
        f"{path}: 1 problem",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.yaml", "cannot read the file: No such file or directory"),
        ("a-directory", "is a directory, not a plan file"),
    ],
)
def test_validate_explains_unreadable_paths(
    tmp_path: Path, name: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing file or a directory is a problem line, not a traceback."""
    (tmp_path / "a-directory").mkdir()
    path = tmp_path / name
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1:1: {message}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ["not_utf8.yaml", "binary_file.yaml"])
def test_validate_explains_binary_files(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Bytes that are not UTF-8 text, or not YAML characters, exit 2 with a location."""
    path = FIXTURES / "invalid_plans" / name
    line, fragment = expectation(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}:" in err
    assert fragment in err


def test_validate_json_for_an_invalid_plan(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the problems as data on stdout, and still exits 2."""
    path = FIXTURES / "invalid_plans" / "app_id_unquoted.yaml"
    assert main(["validate", "--json", str(path)]) == 2
    body = json.loads(capsys.readouterr().out)
    assert body["valid"] is False
    assert body["problems"] == [
        {
            "file": str(path),
            "line": 7,
            "column": 15,
            "path": "rules[0].update.app_id",
            "message": "must be a quoted application id, not the number 29986316244302815",
            "hint": 'quote it: "29986316244302815"',
        }
    ]


def test_validate_json_for_a_valid_plan(capsys: pytest.CaptureFixture[str]) -> None:
    """--json on a valid plan says valid with no problems."""
    path = FIXTURES / "valid_plans" / "minimal.yaml"
    assert main(["validate", "--json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "problems": []}

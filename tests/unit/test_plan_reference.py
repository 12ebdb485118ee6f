"""docs/plan-format.md and docs/plan.schema.json: generated from the schema, in sync, and right."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bulkops.cli import main
from bulkops.cli.schema_cmd import generated
from bulkops.plan import load_plan_text, schema
from bulkops.plan.jsonschema import editor_load, plan_json_schema
from bulkops.report.plan_format import REGENERATE

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
EXAMPLE_PLANS = sorted(
    [*(REPO / "plans").glob("*.yaml"), *(REPO / "tests/fixtures/valid_plans").glob("*.yaml")]
)
INVALID = REPO / "tests/fixtures/invalid_plans"
VALIDATOR = jsonschema.Draft7Validator(plan_json_schema())


@pytest.mark.parametrize("name", sorted(generated()))
def test_the_committed_reference_is_what_the_schema_generates(name: str) -> None:
    """A key added to schema.py without regenerating the docs fails here, saying how to fix it."""
    committed = (DOCS / name).read_text(encoding="utf-8") if (DOCS / name).is_file() else ""
    assert committed == generated()[name], (
        f"docs/{name} is out of date with bulkops/plan/schema.py; regenerate it: {REGENERATE}"
    )


def test_generating_twice_gives_the_same_text() -> None:
    """The generator depends on nothing but the schema (not the day, not dict order)."""
    assert generated() == generated()


def test_the_json_schema_is_a_valid_draft_7_schema() -> None:
    """Editors can load it."""
    jsonschema.Draft7Validator.check_schema(plan_json_schema())


@pytest.mark.parametrize("path", EXAMPLE_PLANS, ids=lambda p: p.name)
def test_every_example_plan_satisfies_the_json_schema(path: Path) -> None:
    """Plans bulkops accepts, an editor accepts too (read as the editor reads YAML)."""
    errors = [e.message for e in VALIDATOR.iter_errors(editor_load(path.read_text("utf-8")))]
    assert errors == []


@pytest.mark.parametrize(
    "fixture",
    [
        "bad_number_type.yaml",
        "bad_service.yaml",
        "number_unquoted.yaml",
        "rule_with_two_actions.yaml",
        "rule_without_action.yaml",
        "rule_missing_select.yaml",
        "limits_rate_zero.yaml",
        "misplaced_update_field.yaml",
        "subaccount_bad_pattern.yaml",
    ],
)
def test_the_json_schema_flags_mistakes_the_loader_rejects(fixture: str) -> None:
    """The schema is not a rubber stamp: typical mistakes show in the editor."""
    assert not VALIDATOR.is_valid(editor_load((INVALID / fixture).read_text("utf-8")))


def _keys(section: schema.Section, path: str) -> Iterator[tuple[str, schema.Key]]:
    for key in section.keys:
        where = f"{path}.{key.name}" if path else key.name
        if isinstance(key.value, schema.Section):
            yield from _keys(key.value, where)
        elif isinstance(key.value, schema.ListOf):
            yield from _keys(key.value.section, where)
        else:
            yield where, key


LEAVES = list(_keys(schema.PLAN, ""))


@pytest.mark.parametrize(("path", "key"), LEAVES, ids=[path for path, _ in LEAVES])
def test_every_key_has_an_example(path: str, key: schema.Key) -> None:
    """docs/plan-format.md shows an example of every key (add one in schema.py)."""
    assert key.examples, f"{path} has no example in bulkops/plan/schema.py"


def _plan_with(path: str, example: str) -> str:
    """A plan that uses `example` at `path`, and is otherwise as small as it can be."""
    section, _, name = path.rpartition(".")
    value = f"{{{name}: {example}}}"
    select, action = '{numbers: ["14155550199"]}', '    update: {alias: "x"}\n'
    if section == "":
        head = "" if name == "version" else "version: 1\n"
        return f"{head}{name}: {example}\nrules:\n  - name: r\n    select: {select}\n{action}"
    if section == "rules.select":
        select = value
    elif section == "rules.update":
        # An update needs one readable change, and enabled reputation its profile.
        readable = 'cnam: "x"' if name == "alias" else 'alias: "x"'
        profile = ', profile_uuid: "p"' if "reputation" in name else ""
        value = f"{value[:-1]}, {readable}{profile}}}"
        action = f"    update: {value}\n"
    elif section == "rules.guards":
        action = f"    unrent: true\n    guards: {value}\n"
    elif section == "rules" and name != "name":
        action = f"    {name}: {example}\n"
    elif section == "limits":
        return f"version: 1\nlimits: {value}\nrules:\n  - name: r\n    select: {select}\n{action}"
    rule_name = example if name == "name" and section == "rules" else "r"
    return f"version: 1\nrules:\n  - name: {rule_name}\n    select: {select}\n{action}"


EXAMPLES = [(path, example) for path, key in LEAVES for example in key.examples]


@pytest.mark.parametrize(("path", "example"), EXAMPLES, ids=[f"{p}={e}" for p, e in EXAMPLES])
def test_every_example_loads_and_satisfies_the_json_schema(path: str, example: str) -> None:
    """An example the docs show is one bulkops accepts, and so does the JSON Schema."""
    text = _plan_with(path, example)
    load_plan_text(text, f"<{path}>")
    document: Any = editor_load(text)
    assert [e.message for e in VALIDATOR.iter_errors(document)] == []


def test_schema_check_fails_on_stale_files_and_passes_once_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bulkops schema --check` exits 1 naming the regenerate command; after a write, 0."""
    (tmp_path / "plan.schema.json").write_text("{}\n", encoding="utf-8")
    assert main(["schema", "--docs", str(tmp_path), "--check"]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert main(["schema", "--docs", str(tmp_path)]) == 0
    assert main(["schema", "--docs", str(tmp_path), "--check"]) == 0
    written = json.loads((tmp_path / "plan.schema.json").read_text(encoding="utf-8"))
    assert written == plan_json_schema()

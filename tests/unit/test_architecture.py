"""The package reads in data order: each stage imports only the stages before it.

plan file → Plan (plan) → Selection (selection) → TaskList (tasks) → run (run) → report (report),
with the account (client + pace) beside them and the CLI on top. A module importing upwards, or
the emulator importing bulkops, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bulkops"
BASE = {"__version__", "errors", "numbers", "limits", "logs"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "numbers": set(),
    "limits": {"errors"},
    "logs": set(),
    "plan": BASE,
    "client": BASE,
    "pace": BASE | {"client"},
    "account": BASE | {"client", "pace", "emulator"},  # the emulator only for --sandbox
    "selection": BASE | {"plan", "client", "pace", "account"},
    "tasks": BASE | {"plan", "selection", "client", "pace", "account"},
    "run": BASE | {"selection", "tasks", "client", "pace", "account"},
    "report": BASE | {"plan", "selection", "tasks", "run"},
    "cli": BASE | {"plan", "selection", "tasks", "run", "report", "account", "pace", "emulator"},
    "emulator": set(),  # an honest other side of the wire stands alone
    "__main__": {"cli"},
}


def _unit(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "bulkops" if parts == ("__init__",) else parts[0]


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "bulkops":
                names = [f"bulkops.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(name.split(".")[1] for name in names if name.startswith("bulkops."))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _unit(p) != "bulkops")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_stages_before_its_own(path: Path) -> None:
    """No module reaches up the flow (a report importing the CLI, a plan importing tasks)."""
    unit = _unit(path)
    assert unit in ALLOWED, f"{unit} is a new package: say what it may import"
    upward = _imported(path) - ALLOWED[unit] - {unit}
    assert not upward, f"{path.relative_to(PACKAGE)} imports {sorted(upward)}"


@pytest.mark.parametrize("package", sorted(p for p in ALLOWED if (PACKAGE / p).is_dir()))
def test_each_package_says_what_it_produces_and_may_import(package: str) -> None:
    """Every package's docstring names what it produces and what it imports."""
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
    assert doc, f"bulkops/{package}/__init__.py has no docstring"
    assert "import" in doc.lower()


def test_the_emulator_accepts_exactly_the_update_fields_bulkops_sends() -> None:
    """The emulator keeps its own list (it imports nothing of bulkops): it must equal bulkops's."""
    from bulkops.emulator.updates import SYNONYMS, UPDATE_KEYS, WRITE_ONLY_KEYS
    from bulkops.numbers import UPDATE_FIELDS, WRITE_ONLY_FIELDS

    assert set(SYNONYMS.values()) <= set(UPDATE_KEYS)
    assert tuple(key for key in UPDATE_KEYS if key not in SYNONYMS) == UPDATE_FIELDS
    assert frozenset(WRITE_ONLY_KEYS) == WRITE_ONLY_FIELDS

"""Results: one row per measured case, printed as one table and written as JSON.

A row carries its parameters (inventory, limit, latency, concurrency), a short text for the table
and the same figures as numbers for the JSON, and, where the issue sets one, its target and
whether it was met.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

WIDTH = 200  # characters: the table is made for a wide terminal or a file, not 80 columns


@dataclass(frozen=True)
class Params:
    inventory: int | str
    limit: str  # "300/5" or "off"
    latency_ms: int
    concurrency: int | str


@dataclass
class Row:
    scenario: str
    case: str
    params: Params
    measured: str
    figures: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    passed: bool | None = None  # None: reported, no target

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else "PASS" if self.passed else "MISS"


@dataclass
class ScenarioResult:
    name: str
    title: str
    rows: list[Row]
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def environment(quick: bool) -> dict[str, Any]:
    cpus = os.cpu_count()
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_count": cpus,
        "platform": platform.platform(),
        "quick": quick,
        "note": f"emulator and client processes share this machine's {cpus} CPU(s)",
    }


def render(results: list[ScenarioResult], env: dict[str, Any]) -> Table:
    table = Table(
        title=f"bulkops benchmarks — Python {env['python']}, {env['cpu_count']} CPUs "
        f"(emulator and client share them){', QUICK sizes' if env['quick'] else ''}",
        title_justify="left",
    )
    table.add_column("scenario", no_wrap=True)
    table.add_column("case", max_width=28)
    for heading in ("inventory", "limit", "latency", "conc."):
        table.add_column(heading, no_wrap=True)
    table.add_column("measured", min_width=66)
    table.add_column("target", max_width=24)
    table.add_column("result", no_wrap=True)
    for result in results:
        for index, row in enumerate(result.rows):
            p = row.params
            verdict = Text(row.verdict, style="bold green" if row.passed else "bold red")
            table.add_row(
                result.title if index == 0 else "",
                row.case,
                f"{p.inventory:,}" if isinstance(p.inventory, int) else p.inventory,
                p.limit,
                f"{p.latency_ms} ms",
                str(p.concurrency),
                row.measured,
                row.target,
                verdict,
                end_section=index == len(result.rows) - 1,
            )
    return table


def print_table(results: list[ScenarioResult], env: dict[str, Any]) -> None:
    Console(width=WIDTH).print(render(results, env))


def write_json(path: Path, results: list[ScenarioResult], env: dict[str, Any]) -> None:
    doc = {
        **env,
        "scenarios": [
            {
                "name": r.name,
                "title": r.title,
                "seconds": round(r.seconds, 1),
                "rows": [{**asdict(row), "result": row.verdict or None} for row in r.rows],
                "details": r.details,
            }
            for r in results
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")

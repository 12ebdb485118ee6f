"""What `bulkops runs prune` did (or, dry, would do), for people and for machines."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from bulkops.run.prune import Pruned


def prune_json(pruned: Pruned) -> dict[str, Any]:
    return {
        "dry_run": pruned.dry_run,
        "cutoff": pruned.cutoff.isoformat(timespec="seconds"),
        "pruned": [info.id for info in pruned.runs],
        "kept": [{"run_id": info.id, "reason": reason} for info, reason in pruned.kept],
        "lock_files": list(pruned.lock_files),
    }


def render_prune(pruned: Pruned) -> RenderableType:
    pruning, removing = ("would prune", "would remove") if pruned.dry_run else ("pruned", "removed")
    before = f"last active before {pruned.cutoff:%Y-%m-%d %H:%M} UTC"
    lines: list[RenderableType] = []
    if pruned.runs:
        ids = ", ".join(info.id for info in pruned.runs)
        lines.append(Text(f"{pruning} {_count(len(pruned.runs), 'run')} {before}: {ids}"))
    else:
        lines.append(Text(f"no run to prune: none {before} may go"))
    if pruned.lock_files:
        lines.append(Text(f"{removing} {_count(len(pruned.lock_files), 'stale lock file')}"))
    for info, reason in pruned.kept:
        lines.append(Text(f"kept {info.id}: {reason}", style="yellow"))
    return Group(*lines)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")

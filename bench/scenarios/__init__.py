"""One module per scenario of issue #5; each exposes `NAME`, `TITLE` and `run(ctx)`."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Context:
    """What every scenario gets: the size class and a scratch directory of its own."""

    quick: bool
    root: Path

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def fresh_dir(self, *parts: str) -> Path:
        path = self.root.joinpath(*parts)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

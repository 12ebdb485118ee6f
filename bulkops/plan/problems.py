"""Plan problems: what is wrong, exactly where, and how to fix it.

The loader never stops at the first mistake. It collects every Problem into a Reporter and raises
one PlanError carrying all of them, so a user fixes a plan in one round trip instead of ten.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Final

from bulkops.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Loc:
    """A 1-based position in the plan file."""

    line: int
    column: int


START: Final = Loc(1, 1)


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a plan file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    path: str  # e.g. "rules[0].select.type"; "" for the document as a whole
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: "
        if self.path:
            where += f"{self.path}: "
        return where + self.message + (f"; {self.hint}" if self.hint else "")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class PlanError(InvalidInput):
    """A plan that cannot be used; `problems` lists every reason, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        count = len(self.problems)
        super().__init__(f"{count} problem{'' if count == 1 else 's'} in the plan")

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class Reporter:
    """Collects the problems of one plan file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, loc: Loc, path: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.file, loc.line, loc.column, path, message, hint))

    def raise_if_any(self) -> None:
        if self.problems:
            raise PlanError(self.problems)

"""What applying a TaskList will cost: requests and time at the run's rate, before it is asked.

An update is one POST; an unrent two requests (the look right before it, then the DELETE).
Applying a YAML plan reads the account again as `plan` just did (`TaskList.reads`); applying a
saved plan re-reads its tasks' numbers the cheapest way its saved listings allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bulkops.selection.current import PROBE, cheapest, worth_probing
from bulkops.tasks.model import TaskList, covered

UNRENT_REQUESTS = 2  # the GET right before it, and the DELETE


@dataclass(frozen=True, slots=True)
class Estimate:
    requests: int
    rate: float  # requests per second

    @property
    def seconds(self) -> float:
        return self.requests / self.rate

    def text(self) -> str:
        """ "≈ 2,060 requests, ≈ 35 s at 59/s"."""
        return f"≈ {self.requests:,} requests, ≈ {self.seconds:,.0f} s at {self.rate:g}/s"

    def to_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "seconds": round(self.seconds, 1), "rate": self.rate}


def sends(task_list: TaskList) -> int:
    """Requests the run itself sends, once planned: one per update, two per unrent."""
    unrents = sum(1 for task in task_list.tasks if task.action == "unrent")
    return len(task_list.tasks) - unrents + UNRENT_REQUESTS * unrents


def drift_check(task_list: TaskList) -> int:
    """Requests `apply` of the saved plan spends re-reading its tasks' numbers."""
    tasks, queries = task_list.tasks, task_list.queries
    if not tasks:
        return 0
    uncovered = len(tasks) - len(covered(tasks, queries))
    probe = PROBE if worth_probing(len(tasks), queries, uncovered) else 0
    return probe + cheapest(len(tasks), queries, uncovered).requests


def of_apply(task_list: TaskList, rate: float, *, saved: bool) -> Estimate:
    """`apply` of the plan (`saved`: of the saved plan): its reads, then its sends."""
    reads = drift_check(task_list) if saved else task_list.reads
    return Estimate(reads + sends(task_list), rate)


def of_run(task_list: TaskList, rate: float) -> Estimate:
    """What is left once `apply` has planned: the sends alone."""
    return Estimate(sends(task_list), rate)

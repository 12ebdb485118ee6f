"""Tasks: each number's change, planned from a Plan and its Selection, saved, and checked for drift.

Produces a `TaskList`. Imports the plan, selection, the shared number vocabulary and, for the
live checks in `prepare`, the account; nothing of runs or reports.
"""

from bulkops.tasks.model import Change, Stale, Summary, Task, TaskList, task_json
from bulkops.tasks.planner import PlanConflictError, build

__all__ = [
    "Change",
    "PlanConflictError",
    "Stale",
    "Summary",
    "Task",
    "TaskList",
    "build",
    "task_json",
]

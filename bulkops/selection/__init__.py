"""Selection: which rented numbers each rule of a plan selects, and that what the plan names exists.

Produces a `Selection` from a Plan and the account's reads. Imports the plan, the shared number
vocabulary and, for the reads, the account (client and pace); nothing of tasks, runs or reports.
"""

from bulkops.selection.predicate import Predicate, matches
from bulkops.selection.query import Query, pushdown
from bulkops.selection.references import check_references
from bulkops.selection.select import Fetch, Selection, select

__all__ = [
    "Fetch",
    "Predicate",
    "Query",
    "Selection",
    "check_references",
    "matches",
    "pushdown",
    "select",
]

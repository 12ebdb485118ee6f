"""The YAML plan: a plan file loaded, validated (every problem located) and modelled as a Plan.

Imports only `bulkops.numbers`, `bulkops.limits` and `bulkops.errors`: a plan knows nothing of
Plivo, of selection or of runs.
"""

from bulkops.plan.loader import load_plan, load_plan_text
from bulkops.plan.model import (
    NONE,
    DateCondition,
    Guards,
    Plan,
    Rule,
    Selector,
    Unrent,
    Update,
    Usage,
)
from bulkops.plan.problems import PlanError, Problem

__all__ = [
    "NONE",
    "DateCondition",
    "Guards",
    "Plan",
    "PlanError",
    "Problem",
    "Rule",
    "Selector",
    "Unrent",
    "Update",
    "Usage",
    "load_plan",
    "load_plan_text",
]

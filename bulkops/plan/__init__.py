"""Plan files: loading with locations, validation, and the validated Plan model."""

from bulkops.plan.loader import load_plan, load_plan_text
from bulkops.plan.problems import PlanError, Problem

__all__ = ["PlanError", "Problem", "load_plan", "load_plan_text"]

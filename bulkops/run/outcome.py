"""What a run came to: outcome counts that always add up, and the exit code they mean."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from bulkops.errors import ExitCode
from bulkops.run.journal import RunStatus

# Every task ends in exactly one of these; "pending" ones were not carried out (yet).
OUTCOMES: Final = ("succeeded", "failed", "unchanged", "stale", "gone", "pending")


def summarize(counts: Mapping[str, int]) -> dict[str, int]:
    """Outcome counts, and `planned`, which they add up to.

    In-flight tasks count as pending (resume checks them first). `skipped` is the older name of
    `pending`, kept for scripts that read it; it is not part of the sum.
    """
    summary = {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}
    summary["pending"] += counts.get("inflight", 0)
    summary["planned"] = sum(counts.values())
    summary["skipped"] = summary["pending"]
    return summary


@dataclass(frozen=True)
class RunReport:
    run_id: str
    status: RunStatus
    counts: dict[str, int]
    requests: int
    retries: int
    throttled: int
    elapsed: float
    stop_reason: str | None = None

    @property
    def exit_code(self) -> ExitCode:
        if self.status == "interrupted":
            return ExitCode.INTERRUPTED
        # A stale task (drifted since review) was not carried out: not a success either.
        if self.status != "finished" or self.counts["failed"] or self.counts["stale"]:
            return ExitCode.FAILED
        return ExitCode.OK

    @property
    def resumable(self) -> bool:
        return self.status != "finished" and self.counts["pending"] > 0

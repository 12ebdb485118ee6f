"""Every error bulkops raises on purpose, and the exit code it means to a script.

Each class carries its exit code; the CLI maps an error to its code by class and prints its
message, nothing else::

    BulkopsError                      .exit_code
    ├── InvalidInput            2     the input cannot be used as given; nothing was sent
    │   ├── PlanError                 a plan file's problems, every one located (plan.problems)
    │   ├── PlanConflictError         two rules want incompatible things for one number (tasks)
    │   ├── UnknownReferenceError     an application or subaccount the plan names does not exist
    │   ├── SavedPlanError            a saved plan unreadable, edited, or for another account
    │   ├── CredentialsError          PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN malformed (client)
    │   │   └── MissingCredentialsError   … or not set
    │   ├── ConfigError               PLIVO_API_URL, a state directory, a limit out of range
    │   └── UsageError                a command line that cannot be honoured (no such run, …)
    ├── Refused                 3     a guard said no; nothing that changes anything was sent
    │   └── RunLockedError            another bulkops process holds the run or the account (run)
    ├── Failed                  1     the work could not be carried out
    │   ├── PlivoError                a request that did not succeed (its tree: client.errors)
    │   ├── ListingError              a listing that could not be read completely and consistently
    │   ├── JournalError              the checkpoint journal cannot be read or written (run)
    │   └── RunStopped                a run-level fault stopped the run; it stays resumable (run)
    └── Interrupted           130     Ctrl-C or SIGTERM

Anything else that reaches the CLI is a bug in bulkops: exit 70 (internal error), one line naming
it, and the traceback with `-vv`. A per-number failure is never an exception: it is a task's
outcome, recorded in the journal.
"""

from __future__ import annotations

import enum
from typing import ClassVar


class ExitCode(enum.IntEnum):
    """What a bulkops process tells its caller; documented in the README."""

    OK = 0
    FAILED = 1
    INVALID = 2
    REFUSED = 3
    CHANGES_PENDING = 4  # `plan --detailed-exitcode`: the plan would change something
    INTERNAL = 70  # EX_SOFTWARE: a bug in bulkops
    INTERRUPTED = 130


class BulkopsError(Exception):
    """Base of every error bulkops raises on purpose; `str()` is a sentence for a person."""

    exit_code: ClassVar[ExitCode] = ExitCode.FAILED


class InvalidInput(BulkopsError):
    exit_code = ExitCode.INVALID


class ConfigError(InvalidInput):
    """The environment or a setting cannot be used (an API URL, a state directory, a limit)."""


class UsageError(InvalidInput):
    """A command line that cannot be honoured as given."""


class UnknownReferenceError(InvalidInput):
    """The plan names applications or subaccounts that the account does not have."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Refused(BulkopsError):
    exit_code = ExitCode.REFUSED


class Failed(BulkopsError):
    exit_code = ExitCode.FAILED


class ListingError(Failed):
    """A listing that came back incomplete or inconsistent: acting on it would be acting blind."""


class Interrupted(BulkopsError):
    exit_code = ExitCode.INTERRUPTED


def first_error(exc: BaseException) -> BaseException:
    """The error inside (nested) exception groups from task groups: what actually went wrong.

    A bulkops error wins over a cancellation or anything else that came along with it.
    """
    if not isinstance(exc, BaseExceptionGroup):
        return exc
    leaves = list(_leaves(exc))
    return next((leaf for leaf in leaves if isinstance(leaf, BulkopsError)), leaves[0])


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    found: list[BaseException] = []
    for inner in group.exceptions:
        found.extend(_leaves(inner) if isinstance(inner, BaseExceptionGroup) else [inner])
    return found

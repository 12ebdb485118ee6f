"""What the commands share: common options (limits from their one description), logging set-up."""

from __future__ import annotations

import argparse
import base64
import contextlib
import logging
import os
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from rich.console import Console

from bulkops import limits, logs
from bulkops.account import SANDBOX_NUMBERS, Account, Target
from bulkops.limits import LimitError
from bulkops.pace.breaker import DEFAULT_GIVE_UP
from bulkops.run.locks import AccountLock, hold_account
from bulkops.selection.usage_cache import cache_path as usage_cache_path

if TYPE_CHECKING:
    from structlog.typing import EventDict

DEFAULT_STATE_DIR: Final = Path(".bulkops")
STATE_DIR_ENV: Final = "BULKOPS_STATE_DIR"

# markup=False: plan names, aliases and paths are the user's text, never rich markup. Styles
# come from Text objects or an explicit markup=True on a string we wrote ourselves.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class HelpFormatter(argparse.HelpFormatter):
    """Paragraphs wrapped to the terminal; indented lines (the examples) kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines: list[str] = []
        paragraph: list[str] = []

        def flush() -> None:
            if paragraph:
                joined = " ".join(paragraph)
                lines.append(
                    textwrap.fill(joined, width, initial_indent=indent, subsequent_indent=indent)
                )
                paragraph.clear()

        for line in text.splitlines():
            if line.startswith("  ") or not line.strip():
                flush()
                lines.append(indent + line if line.strip() else "")
            else:
                paragraph.append(line.strip())
        flush()
        return "\n".join(lines)


def examples(*commands: str) -> str:
    """The epilog every subcommand's --help ends with: commands to copy."""
    return "examples:\n" + "\n".join(f"  {command}" for command in commands)


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low}..{high}, got {value}")
        return value

    return parse


def limit_flag(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, spec: limits.LimitSpec
) -> None:
    """`--rate` & co., parsed and documented from the limit's one description."""

    def parse(text: str) -> object:
        try:
            return spec.from_text(text)
        except LimitError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    default = f"; default {spec.default}" if spec.default is not None else ""
    parser.add_argument(
        spec.flag,
        type=parse,
        dest=spec.name,
        metavar=spec.metavar,
        help=f"{spec.doc} (overrides the plan's limits.{spec.name}{default})".replace("%", "%%"),
    )


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def target(
    args: argparse.Namespace,
    chosen: limits.Limits,
    *,
    sandbox: bool | None = None,
    sandbox_numbers: int | None = None,
) -> Target:
    """Where the command's requests go, and how hard, from its flags."""
    return Target(
        limits=chosen,
        sandbox=args.sandbox if sandbox is None else sandbox,
        sandbox_numbers=sandbox_numbers or args.sandbox_numbers,
        outage_timeout=args.outage_timeout,
        state_dir=getattr(args, "state_dir", None),
    )


def limits_from(args: argparse.Namespace) -> limits.Limits:
    """The limits the command line states (None where it says nothing)."""
    return limits.Limits(**{spec.name: getattr(args, spec.name, None) for spec in limits.SPECS})


def add_connection_options(parser: argparse.ArgumentParser, *, executes: bool) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--sandbox",
        action="store_true",
        help="run against an in-process Plivo emulator with a seeded inventory (no account needed)",
    )
    group.add_argument(
        "--sandbox-numbers",
        type=bounded_int(0, 1_000_000),
        default=SANDBOX_NUMBERS,
        metavar="N",
        help=f"inventory size of the sandbox (default {SANDBOX_NUMBERS})",
    )
    limit_flag(group, limits.RATE)
    group.add_argument(
        "--outage-timeout",
        type=positive_seconds,
        default=DEFAULT_GIVE_UP,
        metavar="SECONDS",
        help="when Plivo stops answering, probe for this long before stopping the command "
        f"(a run stays resumable; default {DEFAULT_GIVE_UP:g})",
    )
    if executes:
        for spec in (limits.CONCURRENCY, limits.MAX_RETRIES):
            limit_flag(group, spec)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines on stderr as text or JSON (default text)",
    )


def add_wait(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        action="store_true",
        help="if another run holds the account in this state directory, wait for it to end "
        "instead of refusing (exit 3)",
    )


@contextlib.asynccontextmanager
async def account_lock(
    args: argparse.Namespace, account: Account, holder: str
) -> AsyncIterator[AccountLock]:
    """One run per account in the state directory (`--wait` queues behind the one holding it)."""

    def waiting(other: str) -> None:
        err.print(f"waiting: account {account.auth_id} is busy: {other}")

    async with hold_account(
        args.state_dir, account.auth_id, holder=holder, wait=args.wait, on_wait=waiting
    ) as lock:
        yield lock


def default_state_dir() -> Path:
    """$BULKOPS_STATE_DIR when set (and not empty), else ./.bulkops; --state-dir beats both."""
    return Path(os.environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR)


def add_state_dir(parser: argparse.ArgumentParser, *, inherited: bool = False) -> None:
    """`--state-dir`; `inherited` for a sub-subcommand, which keeps its parent's value if unset."""
    parser.add_argument(
        "--state-dir",
        type=Path,
        # Read when the parser is built, at every run: the environment of this invocation.
        default=argparse.SUPPRESS if inherited else default_state_dir(),
        metavar="DIR",
        help=f"where the run journal and the usage cache live (default ${STATE_DIR_ENV}, "
        "else ./.bulkops)",
    )


def usage_cache(args: argparse.Namespace, account: Account) -> Path | None:
    """The account's usage cache; none for the sandbox, whose history is new at every start."""
    if account.sandbox:
        return None
    return usage_cache_path(args.state_dir, account.auth_id, account.api_url)


def configure_logging(verbose: int, log_format: str) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logs.configure(level, lambda: _configure_structlog(level, log_format))


def _configure_structlog(level: int, log_format: str) -> None:
    # Imported here: a run that writes no log line never loads structlog (bulkops.logs).
    import structlog

    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact_token,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Looked up per logger: sys.stderr may be replaced (tests, daemons) after configuration.
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def _redact_token(_logger: Any, _name: str, event: EventDict) -> EventDict:
    """Last line of defence: the auth token never reaches a log line, whatever logged it."""
    for secret in _secrets():
        for key, value in event.items():
            if isinstance(value, str) and secret in value:
                event[key] = value.replace(secret, "***")
    return event


def _secrets() -> tuple[str, ...]:
    """The token, and the Basic auth header value that carries it."""
    token = os.environ.get("PLIVO_AUTH_TOKEN")
    if not token:
        return ()
    pair = f"{os.environ.get('PLIVO_AUTH_ID', '')}:{token}".encode()
    return (token, base64.b64encode(pair).decode("ascii"))


def stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()

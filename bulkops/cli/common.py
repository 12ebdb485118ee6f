"""What the commands share: exit codes, common options, logging set-up, and error reporting."""

from __future__ import annotations

import argparse
import base64
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import structlog
from rich.console import Console
from structlog.typing import EventDict

OK: Final = 0
FAILED: Final = 1  # some task failed, the failure threshold stopped the run, or Plivo said no
INVALID: Final = 2  # invalid input or usage
REFUSED: Final = 3  # a guard refused; nothing that changes anything was sent
INTERRUPTED: Final = 130  # Ctrl-C or SIGTERM; the run is resumable

DEFAULT_STATE_DIR: Final = Path(".bulkops")
DEFAULT_CONCURRENCY: Final = 8

# markup=False: plan names, aliases and paths are the user's text, never rich markup. Styles
# come from Text objects or an explicit markup=True on a string we wrote ourselves.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class CommandError(Exception):
    """Stop the command with `message` on stderr and exit `code`."""

    def __init__(self, message: str, code: int = INVALID) -> None:
        super().__init__(message)
        self.code = code


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


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
        default=500,
        metavar="N",
        help="inventory size of the sandbox (default 500)",
    )
    group.add_argument(
        "--rate",
        type=positive_float,
        metavar="R",
        help="requests per second for every request of the run, listing included "
        "(default: plan limits.rate, else 59 — under Plivo's 300 per 5 s)",
    )
    if executes:
        group.add_argument(
            "--concurrency",
            type=bounded_int(1, 512),
            metavar="C",
            help=f"requests in flight at once (default: plan limits, else {DEFAULT_CONCURRENCY})",
        )
        group.add_argument(
            "--max-retries",
            type=bounded_int(0, 100),
            default=5,
            metavar="N",
            help="retries of one request after a 5xx answer, a dropped connection or a timeout "
            "(default 5; 429s are always waited out)",
        )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines on stderr as text or JSON (default text)",
    )


def add_state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        metavar="DIR",
        help="where the run journal lives (default ./.bulkops)",
    )


def configure_logging(verbose: int, log_format: str) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
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

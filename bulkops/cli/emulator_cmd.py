"""`bulkops emulator`: serve a local Plivo-compatible Number API until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import re
import shlex
import signal
import sys
from typing import TYPE_CHECKING, Any

from bulkops.cli.common import bounded_int

if TYPE_CHECKING:  # the emulator is imported by this command only: every other starts faster
    from bulkops.emulator import EmulatorConfig, RateLimit, RunningEmulator

_RATE_LIMIT = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*")
_MAIN_ACCOUNT = re.compile(r"MA[A-Z0-9]{18}")


def _fraction(text: str) -> float:
    value = _non_negative(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be a fraction between 0 and 1, got {text!r}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def _rate_limit(text: str) -> RateLimit | None:
    if text.strip().lower() in ("off", "none"):
        return None
    match = _RATE_LIMIT.fullmatch(text)
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise argparse.ArgumentTypeError(
            f"expected REQUESTS/SECONDS like 300/5, or off; got {text!r}"
        )
    from bulkops.emulator import RateLimit

    return RateLimit(requests=int(match[1]), period=float(match[2]))


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-05-10, got {text!r}") from None


EXAMPLE = """example:
  bulkops emulator --numbers 2000 --admin
  bulkops emulator --auth-id MAEXAMPLE0000000000A --auth-token secret --latency 0.25
  bulkops emulator --rate-limit off --outage-at 30 --outage-seconds 90 --outage-mode drop

Credentials: --auth-id/--auth-token, else PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN, else made up (and
printed). Given ones stay the same across restarts and are never printed.
"""


def _times(text: str) -> int | None:
    if text.strip().lower() == "always":
        return None
    return bounded_int(1, sys.maxsize)(text)


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator",
        help="serve a local Plivo-compatible API (numbers, calls, messages)",
        description="Serve a local Plivo-compatible API: the Number API over a seeded "
        "inventory, and the Call and Message list APIs over a seeded traffic history.",
        epilog=EXAMPLE,
        formatter_class=_Formatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=bounded_int(0, 65535), default=8089, help="port (0 picks a free one)"
    )
    parser.add_argument(
        "--numbers", type=bounded_int(0, sys.maxsize), default=500, help="inventory size"
    )
    parser.add_argument("--seed", type=int, default=1, help="inventory, traffic and fault seed")
    parser.add_argument(
        "--today", type=_date, default=None, help="date the inventory is built for (pins the clock)"
    )
    parser.add_argument("--auth-id", default=None, help="main-account auth_id to accept")
    parser.add_argument("--auth-token", default=None, help="auth token to accept")
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default="300/5",
        metavar="N/SECONDS",
        help="accepted requests per sliding window, or 'off' (Plivo's limit: 300/5)",
    )
    parser.add_argument(
        "--message-rate-limit",
        type=_rate_limit,
        default="20/60",
        metavar="N/SECONDS",
        help="the Message list's own limit, or 'off' (Plivo's: 20/60)",
    )
    parser.add_argument(
        "--no-traffic", action="store_true", help="no seeded call and message history"
    )
    faults = parser.add_argument_group("faults")
    faults.add_argument("--error-rate", type=_fraction, default=0.0, help="fraction answered 5xx")
    faults.add_argument("--drop-rate", type=_fraction, default=0.0, help="fraction cut, unapplied")
    faults.add_argument(
        "--drop-after-rate", type=_fraction, default=0.0, help="fraction applied, then dropped"
    )
    faults.add_argument("--throttle-rate", type=_fraction, default=0.0, help="fraction given 429")
    faults.add_argument("--latency", type=_non_negative, default=0.0, help="seconds added to each")
    faults.add_argument(
        "--latency-jitter",
        type=_fraction,
        default=0.0,
        metavar="J",
        help="each latency drawn evenly from latency x (1 - J) to latency x (1 + J)",
    )
    faults.add_argument(
        "--retry-after", type=_non_negative, default=None, help="Retry-After seconds on every 429"
    )
    faults.add_argument(
        "--short-page-at",
        type=bounded_int(0, sys.maxsize),
        default=None,
        metavar="OFFSET",
        help="the Number list page at this offset comes back half full",
    )
    faults.add_argument(
        "--short-page-times",
        type=_times,
        default=1,
        metavar="K|always",
        help="how many times that page is short",
    )
    faults.add_argument(
        "--outage-at",
        type=_non_negative,
        default=None,
        metavar="SECONDS",
        help="stop answering this long after start-up",
    )
    faults.add_argument(
        "--outage-seconds",
        type=_positive,
        default=None,
        metavar="SECONDS",
        help="how long the outage lasts (default: until stopped via /__admin/outage)",
    )
    faults.add_argument(
        "--outage-mode", choices=("drop", "503"), default="drop", help="drop connections, or 503"
    )
    parser.add_argument(
        "--admin", action="store_true", help="serve /__admin/ introspection and control routes"
    )
    parser.set_defaults(run=run)


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults in every flag's help, and the example kept as written."""


def _positive(text: str) -> float:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    auth_id = args.auth_id or os.environ.get("PLIVO_AUTH_ID")
    auth_token = args.auth_token or os.environ.get("PLIVO_AUTH_TOKEN")
    given = bool(auth_id and auth_token)
    if bool(auth_id) != bool(auth_token) and (args.auth_id or args.auth_token):
        print("error: give both --auth-id and --auth-token, or neither", file=sys.stderr)
        return 2
    if given and not _MAIN_ACCOUNT.fullmatch(auth_id or ""):
        # Never echo it: it may be a token pasted into the wrong place.
        print(
            "error: the auth_id is not a main-account auth_id (MA + 18 capital letters or "
            "digits); fix --auth-id or PLIVO_AUTH_ID, or unset both to let the emulator make "
            "up credentials",
            file=sys.stderr,
        )
        return 2
    from bulkops.emulator import EmulatorConfig, Faults

    config = EmulatorConfig(
        numbers=args.numbers,
        seed=args.seed,
        today=args.today,
        auth_id=auth_id if given else None,
        auth_token=auth_token if given else None,
        rate_limit=args.rate_limit,
        message_rate_limit=args.message_rate_limit,
        traffic=not args.no_traffic,
        faults=Faults(
            error_rate=args.error_rate,
            drop_rate=args.drop_rate,
            drop_after_rate=args.drop_after_rate,
            throttle_rate=args.throttle_rate,
            latency=args.latency,
            latency_jitter=args.latency_jitter,
            retry_after=args.retry_after,
            short_page_offset=args.short_page_at,
            short_page_times=args.short_page_times,
            outage_at=args.outage_at,
            outage_seconds=args.outage_seconds,
            outage_mode=args.outage_mode,
        ),
        admin=args.admin,
    )
    try:
        asyncio.run(_serve(config, args.host, args.port, given))
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        print(f"error: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print("emulator stopped", flush=True)
    return 0


async def _serve(config: EmulatorConfig, host: str, port: int, given: bool) -> None:
    from bulkops.emulator import running_emulator

    async with running_emulator(config, host=host, port=port) as running:
        _announce(running, config, given)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # Not available on Windows, where Ctrl-C arrives as KeyboardInterrupt instead.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def _announce(running: RunningEmulator, config: EmulatorConfig, given: bool) -> None:
    limit = config.rate_limit
    limit_text = f"{limit.requests} requests / {limit.period:g}s" if limit else "off"
    emulator = running.emulator
    lines = [
        f"Plivo emulator listening on {running.base_url}",
        f"  {len(emulator.numbers)} numbers (seed {config.seed}, today {emulator.today}),"
        f" rate limit {limit_text}" + (", admin on /__admin/" if config.admin else ""),
        "",
    ]
    url = shlex.quote(running.base_url)
    if given:
        # The token came from the user (flags or environment) and may be real: never echo it.
        lines += [
            "Using the credentials you gave (--auth-id/--auth-token or PLIVO_AUTH_ID/"
            "PLIVO_AUTH_TOKEN). Point bulkops here:",
            f"  export PLIVO_API_URL={url}",
        ]
    else:
        lines += [
            "Paste this into another shell to point bulkops here:",
            f"  export PLIVO_API_URL={url} PLIVO_AUTH_ID={running.auth_id}"
            f" PLIVO_AUTH_TOKEN={shlex.quote(running.auth_token)}",
        ]
    lines += ["", "Press Ctrl-C to stop."]
    print("\n".join(lines), flush=True)

"""What a client run did, seen from both sides, and the plans and commands the scenarios use.

`client_run` runs one measured command against a running emulator and keeps only the traffic it
caused. The emulator's timestamps (`time.monotonic()` there) are comparable with ours:
CLOCK_MONOTONIC is system-wide.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.emulator import EmulatorProcess
from bench.processes import PYTHON, Measured, run_measured

NO_LIMIT_RATE = "10000"  # bulkops --rate cannot be "off": its highest, which nothing here reaches


def first_to_last_rate(times: Sequence[float]) -> float:
    """Events per second between the first and the last of `times` (sorted)."""
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return (len(times) - 1) / span if span > 0 else 0.0


def sustained_rate(times: Sequence[float], smear: float) -> float:
    """Events per second between `smear` seconds after the first of `times` (sorted) and
    `smear` seconds before the last.

    With delays spread over `smear` seconds, the server sees a run's first requests early and
    its last ones late (the earliest of the first few, the latest of the last few): at
    500 ± 100 ms that alone costs first-to-last 0.5 % of the pace of a 25 s run. Inside those
    edges, every request sent is seen.
    """
    if len(times) < 2 or smear <= 0:
        return first_to_last_rate(times)
    lo = bisect.bisect_left(times, times[0] + smear)
    hi = bisect.bisect_right(times, times[-1] - smear)
    return first_to_last_rate(times[lo:hi])


@dataclass(frozen=True)
class Traffic:
    """What the emulator saw of one client run: the accepted updates and their pace."""

    update_times: tuple[float, ...]  # when each accepted update (POST answered 202) arrived
    throttled: int  # 429 answers, any method
    requests: int
    first_429_at: float | None

    @property
    def updates(self) -> int:
        return len(self.update_times)

    @property
    def update_rate(self) -> float:
        """Accepted updates per second between the first and the last one."""
        return first_to_last_rate(self.update_times)

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, Any]]) -> Traffic:
        posts = sorted(r["at"] for r in rows if r["method"] == "POST" and r["status"] == 202)
        throttled = sorted(r["at"] for r in rows if r["status"] == 429)
        return cls(
            update_times=tuple(posts),
            throttled=len(throttled),
            requests=len(rows),
            first_429_at=throttled[0] if throttled else None,
        )


def write_plan(directory: Path, name: str, alias_prefix: str, select: str = "{}") -> Path:
    """A plan updating the alias of every number `select` matches to '<prefix> <number>'.

    The emulator seeds aliases like 'San Francisco 12', never this shape, so each selected
    number really changes.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(
        "version: 1\n"
        f"name: {name}\n"
        "rules:\n"
        "  - name: bench\n"
        f"    select: {select}\n"
        f'    update: {{alias: "{alias_prefix} {{number}}"}}\n'
    )
    return path


def bulkops_apply(
    plan: Path,
    state_dir: Path,
    *,
    rate: str | None,
    concurrency: int | None,
    extra: Sequence[str] = (),
) -> list[str]:
    """`bulkops apply` as a user runs it; None keeps bulkops' default (59/s; in flight ≤ 64)."""
    return [
        PYTHON, "-m", "bulkops", "apply", str(plan), "--yes", "--json",
        *(["--rate", rate] if rate else []),
        *(["--concurrency", str(concurrency)] if concurrency else []),
        "--state-dir", str(state_dir),
        *extra,
    ]  # fmt: skip


def check_exit(measured: Measured, what: str, allowed: Sequence[int] = (0,)) -> None:
    if measured.returncode not in allowed:
        raise RuntimeError(
            f"{what} exited {measured.returncode}; stderr tail:\n{measured.stderr[-3000:]}"
        )


@dataclass
class ClientRun:
    """One client process against a running emulator: its cost, and what the server saw."""

    measured: Measured
    traffic: Traffic
    rows: list[dict[str, Any]]
    emulator_cpu: float  # seconds of CPU the emulator spent while the client ran

    @property
    def client_cpu_ms_per_request(self) -> float:
        requests = max(self.traffic.requests, 1)
        return 1000 * self.measured.cpu_seconds / requests

    @property
    def emulator_cpu_ms_per_request(self) -> float:
        return 1000 * self.emulator_cpu / max(self.traffic.requests, 1)

    def figures(self) -> dict[str, Any]:
        t = self.traffic
        return {
            "updates": t.updates,
            "update_rate": round(t.update_rate, 1),
            "requests": t.requests,
            "http_429": t.throttled,
            "wall_seconds": round(self.measured.wall, 3),
            "peak_rss_mb": _known(self.measured.peak_rss_mb, 1),
            "client_cpu_seconds": _known(self.measured.cpu_seconds, 3),
            "client_cpu_ms_per_request": _known(self.client_cpu_ms_per_request, 4),
            "emulator_cpu_seconds": round(self.emulator_cpu, 3),
            "emulator_cpu_ms_per_request": round(self.emulator_cpu_ms_per_request, 4),
        }


def _known(value: float, digits: int) -> float | None:
    """`value` rounded, or None (JSON null) for a figure a killed process could not report."""
    return None if math.isnan(value) else round(value, digits)


def client_run(
    emulator: EmulatorProcess,
    cmd: Sequence[str],
    cwd: Path,
    *,
    timeout: float,
    kill_when: Callable[[], bool] | None = None,
) -> ClientRun:
    """Run `cmd` pointed at `emulator`; keep only the traffic it caused."""
    since = emulator.stats()["requests"]
    cpu_before = emulator.cpu_seconds()
    measured = run_measured(
        cmd, env=emulator.client_env(), cwd=cwd, timeout=timeout, kill_when=kill_when
    )
    cpu = emulator.cpu_seconds() - cpu_before
    rows = emulator.served(since)
    return ClientRun(measured, Traffic.of(rows), rows, cpu)


def paired(
    rounds: int, first: Callable[[int], ClientRun], second: Callable[[int], ClientRun]
) -> list[tuple[ClientRun, ClientRun]]:
    """`rounds` side-by-side pairs, the order alternating so that drift favours neither."""
    pairs = []
    for index in range(rounds):
        if index % 2 == 0:
            a = first(index)
            b = second(index)
        else:
            b = second(index)
            a = first(index)
        pairs.append((a, b))
    return pairs


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2

"""Processes and measurements: the emulator process, measured child processes, plans.

Peak RSS and CPU time of a child come from `os.wait4`, which reports the rusage of exactly the
child waited for (RUSAGE_CHILDREN would be the maximum over every child so far). Timestamps from
the emulator (`time.monotonic()` there) are comparable with ours: CLOCK_MONOTONIC is system-wide.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final

PYTHON: Final = sys.executable
# The SDK insists on MA + 18 capitals/digits; the token is made up per suite run.
AUTH_ID: Final = "MABENCHMARK000000001"
AUTH_TOKEN: Final = secrets.token_urlsafe(24)
NO_LIMIT_RATE: Final = "1000000"  # bulkops --rate cannot be "off": a rate nothing reaches
STARTUP_TIMEOUT: Final = 120.0


@dataclass
class Measured:
    """What one finished child process cost."""

    returncode: int
    started: float  # time.monotonic() at launch
    wall: float  # seconds from launch to exit
    peak_rss_mb: float
    cpu_seconds: float  # user + system
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The child's stdout as JSON (bulkops --json, rawloop, sdkloop all print one document)."""
        try:
            return json.loads(self.stdout)
        except ValueError:
            raise RuntimeError(
                f"expected JSON on stdout (exit {self.returncode}); stderr:\n{self.stderr[-2000:]}"
            ) from None


def run_measured(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    kill_when: Callable[[], bool] | None = None,
) -> Measured:
    """Run `cmd` to completion (or until `kill_when()` turns true: then SIGKILL) and measure it."""
    out_path, err_path = cwd / "stdout.txt", cwd / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(list(cmd), env=dict(env), cwd=cwd, stdout=out, stderr=err)
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        status, usage = _wait(proc, kill_when)
    finally:
        killer.cancel()
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits on it again
    return Measured(
        returncode=proc.returncode,
        started=started,
        wall=wall,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


def _wait(
    proc: subprocess.Popen[bytes], kill_when: Callable[[], bool] | None
) -> tuple[int, resource.struct_rusage]:
    """Reap `proc` with its rusage; poll (never `proc.poll()`, which would reap it) to kill."""
    while kill_when is not None:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return status, usage
        if kill_when():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    _, status, usage = os.wait4(proc.pid, 0)
    return status, usage


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class EmulatorSpec:
    numbers: int
    rate_limit: str = "off"  # "300/5" or "off"
    latency: float = 0.0
    seed: int = 7

    def describe(self) -> dict[str, Any]:
        return {
            "inventory": self.numbers,
            "limit": self.rate_limit,
            "latency_ms": round(self.latency * 1000),
        }


@dataclass
class EmulatorProcess:
    """`python -m bulkops emulator … --admin` in its own process, for one scenario step."""

    spec: EmulatorSpec
    workdir: Path
    port: int = field(default_factory=free_port)
    peak_rss_mb: float = 0.0
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_env(self) -> dict[str, str]:
        """Environment for a client pointed at this emulator."""
        return {
            **os.environ,
            "PLIVO_API_URL": self.base_url,
            "PLIVO_AUTH_ID": AUTH_ID,
            "PLIVO_AUTH_TOKEN": AUTH_TOKEN,
        }

    def __enter__(self) -> EmulatorProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        spec = self.spec
        cmd = [
            PYTHON, "-m", "bulkops", "emulator", "--admin",
            "--port", str(self.port),
            "--numbers", str(spec.numbers),
            "--seed", str(spec.seed),
            "--rate-limit", spec.rate_limit,
            "--latency", str(spec.latency),
        ]  # fmt: skip
        with (self.workdir / "emulator.log").open("wb") as log:
            self._proc = subprocess.Popen(
                cmd, env=self.client_env(), stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_up()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGINT)
        killer = threading.Timer(10.0, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.peak_rss_mb = usage.ru_maxrss / 1024

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                log = (self.workdir / "emulator.log").read_text(errors="replace")
                raise RuntimeError(f"the emulator exited at start-up:\n{log}")
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the emulator did not answer within {STARTUP_TIMEOUT:.0f}s")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator has used so far."""
        assert self._proc is not None
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _admin(self, path: str) -> Any:
        with urllib.request.urlopen(self.base_url + path, timeout=30) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._admin("/__admin/stats")
        return stats

    def mutations(self) -> list[dict[str, Any]]:
        """Every change applied: number, method, fields (as sent), at."""
        rows: list[dict[str, Any]] = self._admin("/__admin/mutations")["mutations"]
        return rows

    def served(self, since: int = 0) -> list[dict[str, Any]]:
        """Every request served from index `since` on: method, path, status, at (monotonic)."""
        rows: list[dict[str, Any]] = self._admin(f"/__admin/served?since={since}")["served"]
        return rows


@dataclass(frozen=True)
class Traffic:
    """What the emulator saw of one client run: the accepted updates and their pace."""

    updates: int  # POSTs answered 202
    throttled: int  # 429 answers, any method
    requests: int
    first_update_at: float | None
    last_update_at: float | None
    first_429_at: float | None

    @property
    def update_span(self) -> float:
        if self.first_update_at is None or self.last_update_at is None:
            return 0.0
        return self.last_update_at - self.first_update_at

    @property
    def update_rate(self) -> float:
        """Accepted updates per second between the first and the last one."""
        span = self.update_span
        return (self.updates - 1) / span if self.updates > 1 and span > 0 else 0.0

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, Any]]) -> Traffic:
        posts = sorted(r["at"] for r in rows if r["method"] == "POST" and r["status"] == 202)
        throttled = sorted(r["at"] for r in rows if r["status"] == 429)
        return cls(
            updates=len(posts),
            throttled=len(throttled),
            requests=len(rows),
            first_update_at=posts[0] if posts else None,
            last_update_at=posts[-1] if posts else None,
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
    concurrency: int,
    extra: Sequence[str] = (),
) -> list[str]:
    """`bulkops apply` as a user runs it; rate None keeps bulkops' default (59/s)."""
    return [
        PYTHON, "-m", "bulkops", "apply", str(plan), "--yes", "--json",
        *(["--rate", rate] if rate else []),
        "--concurrency", str(concurrency), "--state-dir", str(state_dir),
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
            "peak_rss_mb": round(self.measured.peak_rss_mb, 1),
            "client_cpu_seconds": round(self.measured.cpu_seconds, 3),
            "client_cpu_ms_per_request": round(self.client_cpu_ms_per_request, 4),
            "emulator_cpu_seconds": round(self.emulator_cpu, 3),
            "emulator_cpu_ms_per_request": round(self.emulator_cpu_ms_per_request, 4),
        }


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

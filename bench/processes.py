"""Measured child processes: run one command, and know what it cost.

Peak RSS and CPU time come from `bench.spawn`, a small wrapper that runs the command and reports
its rusage: a direct child of this process would inherit this process's RSS high-water mark.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

PYTHON: Final = sys.executable
ROOT: Final = Path(__file__).resolve().parent.parent  # the checkout: bench/ and bulkops/
# The SDK insists on MA + 18 capitals/digits; the token is made up per suite run.
AUTH_ID: Final = "MABENCHMARK000000001"
AUTH_TOKEN: Final = secrets.token_urlsafe(24)
EMULATOR_CPU: Final = 0
CLIENT_CPU: Final = 1
# Bytecode for every child, as `pip install` leaves it: compiled once, then only loaded. Without
# it, a machine with PYTHONDONTWRITEBYTECODE set (this one) recompiles bulkops' ~100 modules in
# every measured process, about 0.15 s of CPU that no installed bulkops ever spends. The
# dependencies' bytecode is already there (pip wrote it); bulkops' own goes to its __pycache__.


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a measured child: ours with bytecode on, plus `extra`."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def compile_ahead() -> None:
    """Compile bulkops and the bench once, before anything is measured."""
    sources = [str(ROOT / "bulkops"), str(ROOT / "bench")]
    subprocess.run([PYTHON, "-m", "compileall", "-q", *sources], env=child_env({}), check=True)


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
    """Run `cmd` to completion (or until `kill_when()` turns true: then SIGKILL) and measure it.

    A killed command reports no peak RSS or CPU time (NaN): only its wrapper could have told.
    """
    out_path, err_path, usage_path = cwd / "stdout.txt", cwd / "stderr.txt", cwd / "usage.json"
    usage_path.unlink(missing_ok=True)
    wrapped = [PYTHON, "-m", "bench.spawn", str(usage_path), *cmd]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        launched = time.monotonic()
        # A session of its own: a kill reaches the command too, not only its wrapper.
        proc = subprocess.Popen(
            wrapped, env=dict(env), cwd=cwd, stdout=out, stderr=err, start_new_session=True
        )
    pin(proc.pid, CLIENT_CPU)
    killer = threading.Timer(timeout, _kill_group, (proc,))
    killer.start()
    try:
        status = _wait(proc, kill_when)
    finally:
        killer.cancel()
    returned = time.monotonic()
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits on it again
    usage = json.loads(usage_path.read_text()) if usage_path.exists() else None
    return Measured(
        returncode=proc.returncode,
        started=usage["started"] if usage else launched,
        wall=(usage["ended"] - usage["started"]) if usage else returned - launched,
        peak_rss_mb=usage["maxrss_kb"] / 1024 if usage else math.nan,  # Linux: kilobytes
        cpu_seconds=usage["cpu_seconds"] if usage else math.nan,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


def _wait(proc: subprocess.Popen[bytes], kill_when: Callable[[], bool] | None) -> int:
    """Reap `proc` (polling to kill it when `kill_when()` turns true); return its wait status."""
    while kill_when is not None:
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            return status
        if kill_when():
            _kill_group(proc)
            break
        time.sleep(0.02)
    _, status = os.waitpid(proc.pid, 0)
    return status


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # The group is the wrapper's own session: the wrapper and the command it runs, nothing else.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


_PINNING = [True]


@contextlib.contextmanager
def sharing_cores() -> Iterator[None]:
    """Inside: processes started are left to the scheduler, free to share every CPU."""
    _PINNING.append(False)
    try:
        yield
    finally:
        _PINNING.pop()


def pin(pid: int, cpu: int) -> None:
    """Keep `pid` (and the processes and threads it starts) on one CPU, if there are two or more.

    With the emulator on one CPU and the client on another, the scheduler cannot stack both on
    one CPU in one run and spread them in the next, which on a 2-CPU machine adds its own swing
    to the run-to-run noise.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2 and _PINNING[-1]:
        os.sched_setaffinity(pid, {cpus[cpu % len(cpus)]})

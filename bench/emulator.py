"""The emulator under test, in a process of its own: started, watched, asked, stopped.

`python -m bulkops emulator … --admin` with the suite's credentials; what it served is read back
through its unauthenticated admin routes (`/__admin/stats`, `/served`, `/mutations`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from bench.processes import AUTH_ID, AUTH_TOKEN, EMULATOR_CPU, PYTHON, ROOT, child_env, pin

STARTUP_TIMEOUT: Final = 120.0
STARTUP_ATTEMPTS: Final = 3  # a free port may be taken between picking it and binding it


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
    latency_jitter: float = 0.0  # each request's latency evenly in latency x (1 ± this)
    seed: int = 7
    traffic: bool = True  # seed a call and message history (False: every number is unused)


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
        return child_env(
            {
                # The children run in scratch directories: `python -m bench.…` must still find us.
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
                ),
                "PLIVO_API_URL": self.base_url,
                "PLIVO_AUTH_ID": AUTH_ID,
                "PLIVO_AUTH_TOKEN": AUTH_TOKEN,
            }
        )

    def __enter__(self) -> EmulatorProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(STARTUP_ATTEMPTS):
            self._start()
            if self._wait_until_up():
                return self
            self.port = free_port()  # most likely taken since it was picked: another one
        log = (self.workdir / "emulator.log").read_text(errors="replace")
        raise RuntimeError(f"the emulator exited at start-up:\n{log}")

    def _start(self) -> None:
        spec = self.spec
        cmd = [
            PYTHON, "-m", "bulkops", "emulator", "--admin",
            "--port", str(self.port),
            "--numbers", str(spec.numbers),
            "--seed", str(spec.seed),
            "--rate-limit", spec.rate_limit,
            "--latency", str(spec.latency),
            "--latency-jitter", str(spec.latency_jitter),
            *([] if spec.traffic else ["--no-traffic"]),
        ]  # fmt: skip
        with (self.workdir / "emulator.log").open("wb") as log:
            self._proc = subprocess.Popen(
                cmd, env=self.client_env(), stdout=log, stderr=subprocess.STDOUT
            )
        pin(self._proc.pid, EMULATOR_CPU)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # VmHWM belongs to the process's own memory map, so none of ours is counted in it.
        with contextlib.suppress(OSError, StopIteration):
            status = Path(f"/proc/{proc.pid}/status").read_text().splitlines()
            line = next(line for line in status if line.startswith("VmHWM:"))
            self.peak_rss_mb = int(line.split()[1]) / 1024
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _wait_until_up(self) -> bool:
        """True once the admin routes answer; False if the process exited first."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                return False
            try:
                self.stats()
                return True
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

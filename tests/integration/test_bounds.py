"""Stop hard, in bounds: a 429 storm, Ctrl-C during one, and credentials revoked mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bulkops.emulator import EmulatorConfig, Faults, RunningEmulator
from tests.emulated import emulator_thread

REPO = Path(__file__).resolve().parents[2]
PLAN = "version: 1\nrules:\n  - name: all\n    select: {}\n    update: {alias: 'x {number}'}\n"


def _env(running: RunningEmulator) -> dict[str, str]:
    return {
        **os.environ,
        "PLIVO_API_URL": running.base_url,
        "PLIVO_AUTH_ID": running.auth_id,
        "PLIVO_AUTH_TOKEN": running.auth_token,
    }


def _bulkops(running: RunningEmulator, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bulkops", *args],
        env=_env(running),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


STORM = EmulatorConfig(
    numbers=50, seed=3, rate_limit=None, faults=Faults(throttle_rate=1.0, retry_after=3600)
)


@pytest.mark.slow
def test_a_plan_meeting_only_429s_gives_up_in_bounds(tmp_path: Path) -> None:
    """Every request answered 429, Retry-After an hour: plan stops within its bound, exit 1."""
    plan = tmp_path / "p.yaml"
    plan.write_text(PLAN)
    with emulator_thread(STORM) as running:
        started = time.monotonic()
        done = _bulkops(running, "plan", str(plan), "--outage-timeout", "3")
        _out, err = done.communicate(timeout=120)
        took = time.monotonic() - started
    assert done.returncode == 1
    assert "no usable answer" in err
    assert "Traceback" not in err
    assert took < 20


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopping_a_run_stuck_behind_429s_takes_seconds_not_minutes(
    signum: int, tmp_path: Path
) -> None:
    """A run held in a long 429 pause: one Ctrl-C or SIGTERM ends it within the drain bound."""
    plan = tmp_path / "p.yaml"
    plan.write_text(PLAN)
    state = tmp_path / "state"
    config = EmulatorConfig(numbers=50, seed=3, rate_limit=None)
    with emulator_thread(config) as running:
        emulator = running.emulator
        update = emulator.update_number
        from bulkops.emulator.errors import ApiError

        def storm_after_5(number: str, body: Mapping[str, object]) -> dict[str, Any]:
            if len(emulator.mutations) >= 5:
                raise ApiError(429, "too many requests")
            return update(number, body)

        emulator.update_number = storm_after_5  # type: ignore[method-assign]
        apply = _bulkops(running, "apply", str(plan), "--yes", "--json", "--state-dir", str(state))
        deadline = time.monotonic() + 60
        while len(emulator.mutations) < 5:
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.01)
        time.sleep(1.0)  # well into the 429 pauses
        sent_at = time.monotonic()
        apply.send_signal(signum)
        out, err = apply.communicate(timeout=60)
        took = time.monotonic() - sent_at
    assert apply.returncode == 130, err
    assert took < 20
    assert json.loads(out)["status"] == "interrupted"
    assert "Traceback" not in err


def test_credentials_revoked_mid_run_stop_it_with_a_summary_and_the_resume_command(
    tmp_path: Path,
) -> None:
    """A 401 mid-run: exit 1, the summary, the run id and `bulkops resume RUN_ID` are printed."""
    plan = tmp_path / "p.yaml"
    plan.write_text(PLAN)
    state = tmp_path / "state"
    with emulator_thread(EmulatorConfig(numbers=60, seed=3, rate_limit=None)) as running:
        emulator = running.emulator
        update = emulator.update_number

        def revoke_after_10(number: str, body: Mapping[str, object]) -> dict[str, Any]:
            if len(emulator.mutations) >= 10:
                emulator._auth_token = "revoked"  # the account's token changed
            return update(number, body)

        emulator.update_number = revoke_after_10  # type: ignore[method-assign]
        done = _bulkops(running, "apply", str(plan), "--yes", "--state-dir", str(state))
        out, err = done.communicate(timeout=120)
    assert done.returncode == 1
    assert "authentication failed" in out + err
    run_id = next(line.split()[1] for line in out.splitlines() if line.startswith("run "))
    assert f"bulkops resume {run_id}" in out
    assert "stopped" in out

"""The auth token never shows: not on screen, not in logs, the journal, reports or saved plans."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from bulkops.cli import main
from bulkops.emulator import EmulatorConfig, Faults, RunningEmulator
from tests.emulated import emulator_thread, point_cli_at

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "plans"
INVENTORY = EmulatorConfig(numbers=100, seed=3, rate_limit=None)
VERBOSE_JSON = ("-vv", "--log-format", "json")


def wrong_token() -> str:
    return "wrong-token-" + secrets.token_hex(12)


def use_token(monkeypatch: pytest.MonkeyPatch, running: RunningEmulator, token: str) -> None:
    point_cli_at(monkeypatch, running)
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", token)


def files_under(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()]


def says_authentication_failed(err: str) -> bool:
    return "authentication failed" in err and "Traceback" not in err


def test_plan_with_a_wrong_token_says_authentication_failed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan` with a wrong token exits 1, says authentication failed, and never shows the token."""
    token = wrong_token()
    with emulator_thread(INVENTORY) as running:
        use_token(monkeypatch, running, token)
        code = main(["plan", str(PLANS / "cleanup-unused.yaml"), *VERBOSE_JSON])
    captured = capsys.readouterr()
    assert code == 1
    assert says_authentication_failed(captured.err), captured.err
    assert token not in captured.out + captured.err


def test_apply_with_a_wrong_token_leaves_no_trace_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`apply` with a wrong token exits 1, changes nothing; the token is in no output or file."""
    token = wrong_token()
    state = tmp_path / "state"
    with emulator_thread(INVENTORY) as running:
        use_token(monkeypatch, running, token)
        code = main(
            [
                "apply",
                str(PLANS / "cleanup-unused.yaml"),
                "--yes",
                "--json",
                "--state-dir",
                str(state),
                *VERBOSE_JSON,
            ]
        )
        captured = capsys.readouterr()
        assert not running.emulator.mutations
        assert main(["runs", "--json", "--state-dir", str(state)]) == 0
    runs = capsys.readouterr().out
    assert code == 1
    assert says_authentication_failed(captured.err), captured.err
    assert token not in captured.out + captured.err + runs
    for path in files_under(state):
        assert token.encode() not in path.read_bytes(), path


def test_plan_naming_an_application_with_a_wrong_token_says_authentication_failed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan that assigns an application, with a wrong token: exit 1 and a plain message."""
    token = wrong_token()
    with emulator_thread(INVENTORY) as running:
        use_token(monkeypatch, running, token)
        code = main(["plan", str(PLANS / "reassign-to-ivr.yaml"), *VERBOSE_JSON])
    captured = capsys.readouterr()
    assert code == 1
    assert says_authentication_failed(captured.err), captured.err
    assert token not in captured.out + captured.err


# Every number: cnam_lookup on. Non-US numbers refuse it (task_failed warnings get logged).
CNAM_PLAN = """\
version: 1
name: cnam-everywhere
rules:
  - name: cnam
    select: {}
    update: {cnam_lookup: enabled, cnam_callback_url: "https://hooks.example.com/cnam"}
"""


def bulkops(running: RunningEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, with no terminal attached."""
    env = {
        **os.environ,
        "PLIVO_API_URL": running.base_url,
        "PLIVO_AUTH_ID": running.auth_id,
        "PLIVO_AUTH_TOKEN": running.auth_token,
    }
    return subprocess.run(
        [sys.executable, "-m", "bulkops", *args],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_full_verbose_run_with_faults_never_shows_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Plan, apply through faults, runs, show: the real token is in none of it; logs are JSON."""
    plan = tmp_path / "cnam.yaml"
    plan.write_text(CNAM_PLAN)
    saved = tmp_path / "reviewed.json"
    state = tmp_path / "state"
    faults = Faults(error_rate=0.1, drop_rate=0.03, drop_after_rate=0.03)
    with emulator_thread(
        EmulatorConfig(numbers=100, seed=3, rate_limit=None, faults=faults)
    ) as running:
        token = running.auth_token
        planned = bulkops(running, "plan", str(plan), "--out", str(saved), *VERBOSE_JSON)
        assert planned.returncode == 0, planned.stderr
        applied = bulkops(
            running,
            "apply",
            str(saved),
            "--yes",
            "--rate",
            "500",
            "--state-dir",
            str(state),
            *VERBOSE_JSON,
        )
        faulted = sum(1 for s in running.emulator.served if s.status in (0, 500, 503))
        assert running.emulator.mutations
    assert applied.returncode == 1, applied.stderr  # the non-US numbers refused cnam_lookup
    assert faulted > 0, "faults were injected, so retries happened"
    capsys.readouterr()
    assert main(["runs", "--json", "--state-dir", str(state)]) == 0
    runs = capsys.readouterr().out
    run_id = json.loads(runs)[0]["run_id"]
    printed = [planned.stdout, planned.stderr, applied.stdout, applied.stderr, runs]
    for fmt in ("--json", "--csv"):
        assert main(["show", run_id, fmt, "--state-dir", str(state)]) == 0
        printed.append(capsys.readouterr().out)
    for text in printed:
        assert token not in text
    for path in [saved, *files_under(state)]:
        assert token.encode() not in path.read_bytes(), path

    events = [json.loads(line) for line in applied.stderr.splitlines() if line.startswith("{")]
    failed = [event for event in events if event.get("event") == "task_failed"]
    assert failed, "each refused number was logged as a warning"
    assert all(event["level"] == "warning" and event["number"] for event in failed)

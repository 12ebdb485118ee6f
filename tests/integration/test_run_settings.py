"""A run keeps the settings it was made with: resume uses them unless a flag says otherwise."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bulkops.cli import main
from bulkops.emulator import EmulatorConfig, RunningEmulator
from bulkops.emulator.errors import ApiError
from tests.emulated import emulator_thread

PLAN = "version: 1\nrules:\n  - name: r\n    select: {type: tollfree}\n    update: {alias: kept}\n"


def _every_update_answers_503(running: RunningEmulator) -> None:
    def failing(number: str, body: Mapping[str, object]) -> dict[str, Any]:
        raise ApiError(503, "service unavailable")

    running.emulator.update_number = failing  # type: ignore[method-assign]


def _attempts(state: Path, run_id: str, capsys: pytest.CaptureFixture[str]) -> set[int]:
    capsys.readouterr()
    assert main(["show", run_id, "--json", "--state-dir", str(state)]) == 0
    return {task["attempts"] for task in json.loads(capsys.readouterr().out)["tasks"]}


def test_resume_keeps_the_runs_max_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run made with --max-retries 0 resumes with no retries either, without the flag again."""
    plan = tmp_path / "p.yaml"
    plan.write_text(PLAN)
    state = tmp_path / "state"
    with emulator_thread(EmulatorConfig(numbers=60, seed=3, rate_limit=None)) as running:
        monkeypatch.setenv("PLIVO_API_URL", running.base_url)
        monkeypatch.setenv("PLIVO_AUTH_ID", running.auth_id)
        monkeypatch.setenv("PLIVO_AUTH_TOKEN", running.auth_token)
        _every_update_answers_503(running)
        args = ["--yes", "--json", "--rate", "500", "--state-dir", str(state)]
        assert main(["apply", str(plan), "--max-retries", "0", *args]) == 1
        run_id = json.loads(capsys.readouterr().out)["run_id"]
        assert _attempts(state, run_id, capsys) == {1}
        assert main(["resume", run_id, "--retry-failed", *args]) == 1
        assert _attempts(state, run_id, capsys) == {2}, "one more try each, no retries"

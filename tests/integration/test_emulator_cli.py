"""`bulkops emulator` as a user starts it: defaults on show, credentials that survive restarts."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AUTH_ID = "MAEXAMPLE0000000000A"
TOKEN = "kept-across-restarts-7f3a"


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bulkops", "emulator", "--port", "0", "--numbers", "20", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"listening on (http://\S+)", first)
    assert match, first + (process.stderr.read() if process.stderr else "")
    return process, match.group(1)


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    return out


def _list_numbers(url: str, auth_id: str, token: str) -> int:
    request = urllib.request.Request(f"{url}/v1/Account/{auth_id}/Number/?limit=1")
    request.add_header(
        "Authorization", "Basic " + base64.b64encode(f"{auth_id}:{token}".encode()).decode()
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["meta"]["total_count"])


def test_given_credentials_are_kept_across_restarts_and_never_printed() -> None:
    """--auth-id/--auth-token: the same credentials work after a restart; the token is not shown."""
    outputs = []
    for _ in range(2):
        process, url = _start("--auth-id", AUTH_ID, "--auth-token", TOKEN)
        try:
            assert _list_numbers(url, AUTH_ID, TOKEN) == 20
        finally:
            outputs.append(_stop(process))
    assert all(TOKEN not in out for out in outputs)


def test_help_shows_every_default_and_an_example() -> None:
    """`bulkops emulator --help` says what each flag defaults to, and how to start one."""
    done = subprocess.run(
        [sys.executable, "-m", "bulkops", "emulator", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0
    assert "(default: 300/5)" in done.stdout
    assert "(default: 20/60)" in done.stdout
    assert "(default: 500)" in done.stdout
    assert "example:" in done.stdout

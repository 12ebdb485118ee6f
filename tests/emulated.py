"""An emulator on its own thread and event loop, so a test can drive the real CLI against it.

`bulkops.cli.main` runs its own event loop (anyio.run), which cannot nest inside the test's loop;
on a thread, the emulator serves while the command runs in the test's thread, exactly as it would
against Plivo.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bulkops.emulator import EmulatorConfig, RunningEmulator, running_emulator


@contextlib.contextmanager
def emulator_thread(config: EmulatorConfig) -> Iterator[RunningEmulator]:
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        holder["stop"] = stop
        holder["loop"] = asyncio.get_running_loop()
        async with running_emulator(config, host="127.0.0.1", port=0) as running:
            holder["running"] = running
            ready.set()
            await stop.wait()

    def target() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # surface start-up failures to the test
            holder["error"] = exc
            ready.set()

    thread = threading.Thread(target=target, name="emulator", daemon=True)
    thread.start()
    ready.wait(30)
    if "error" in holder:
        raise holder["error"]
    try:
        yield holder["running"]
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(30)


def point_cli_at(monkeypatch: pytest.MonkeyPatch, running: RunningEmulator) -> None:
    """Set the environment a user would set to use this emulator as their Plivo account."""
    monkeypatch.setenv("PLIVO_API_URL", running.base_url)
    monkeypatch.setenv("PLIVO_AUTH_ID", running.auth_id)
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", running.auth_token)


def run_cli(monkeypatch: pytest.MonkeyPatch, running: RunningEmulator, *args: str) -> int:
    """Run a bulkops command as a user would, pointed at `running`; return its exit code."""
    from bulkops.cli import main

    point_cli_at(monkeypatch, running)
    return main(list(args))

"""Shared fixtures: a running Plivo emulator in the test's own event loop; `cli` to run bulkops."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Protocol

import pytest

from bulkops.emulator import EmulatorConfig, RunningEmulator, running_emulator
from tests.emulated import Cli

# What `emulator` serves: small, unthrottled and well-behaved, so tests are fast and exact.
DEFAULT_TEST_CONFIG = EmulatorConfig(numbers=200, seed=1, rate_limit=None)


class MakeEmulator(Protocol):
    def __call__(
        self, config: EmulatorConfig | None = None, **overrides: Any
    ) -> Awaitable[RunningEmulator]: ...


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    """A running emulator: 200 numbers, seed 1, no rate limit, no faults."""
    async with running_emulator(DEFAULT_TEST_CONFIG) as running:
        yield running


@pytest.fixture
async def make_emulator() -> AsyncIterator[MakeEmulator]:
    """Start emulators on demand; all stop when the test ends.

    `await make_emulator(EmulatorConfig(...))`, or override fields of the default test config:
    `await make_emulator(numbers=20, faults=Faults(drop_rate=1.0))`.
    """
    async with AsyncExitStack() as stack:

        async def start(config: EmulatorConfig | None = None, **overrides: Any) -> RunningEmulator:
            chosen = dataclasses.replace(config or DEFAULT_TEST_CONFIG, **overrides)
            return await stack.enter_async_context(running_emulator(chosen))

        yield start


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Cli:
    """Run bulkops commands against an emulator (`cli.use(running)`), state in tmp_path/state."""
    return Cli(tmp_path / "state", monkeypatch, capsys)

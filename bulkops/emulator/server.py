"""Run an Emulator on a real socket, in the caller's event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from bulkops.emulator.app import create_app
from bulkops.emulator.config import EmulatorConfig
from bulkops.emulator.state import Emulator

# Long enough for an in-flight request to finish, short enough that a test teardown never drags.
_SHUTDOWN_TIMEOUT = 1.0


@dataclass(frozen=True, slots=True)
class RunningEmulator:
    """A started emulator: where it listens, how to log in, and its state."""

    base_url: str
    host: str
    port: int
    emulator: Emulator
    auth_id: str
    auth_token: str = field(repr=False)


@asynccontextmanager
async def running_emulator(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningEmulator]:
    """Serve a fresh Emulator on host:port (0 picks a free port) until the block exits."""
    emulator = Emulator(config)
    runner = web.AppRunner(
        create_app(emulator), access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = int(runner.addresses[0][1])
        url_host = f"[{host}]" if ":" in host else host
        yield RunningEmulator(
            base_url=f"http://{url_host}:{bound_port}",
            host=host,
            port=bound_port,
            emulator=emulator,
            auth_id=emulator.auth_id,
            auth_token=emulator.auth_token,
        )
    finally:
        await runner.cleanup()

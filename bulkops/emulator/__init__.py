"""A Plivo-compatible Number API server: the honest other side of the wire for tests and demos.

It imports nothing else of bulkops, only the standard library and aiohttp::

    async with running_emulator(EmulatorConfig(numbers=500, seed=1)) as running:
        running.base_url, running.auth_id, running.auth_token   # point a client here
        running.emulator.numbers, running.emulator.served       # then look at what happened
"""

from bulkops.emulator.app import create_app
from bulkops.emulator.catalog import APPLICATION_IDS, SUBACCOUNT_IDS
from bulkops.emulator.config import EmulatorConfig, Faults, RateLimit
from bulkops.emulator.records import Mutation, Served
from bulkops.emulator.server import RunningEmulator, running_emulator
from bulkops.emulator.state import Emulator

__all__ = [
    "APPLICATION_IDS",
    "SUBACCOUNT_IDS",
    "Emulator",
    "EmulatorConfig",
    "Faults",
    "Mutation",
    "RateLimit",
    "RunningEmulator",
    "Served",
    "create_app",
    "running_emulator",
]

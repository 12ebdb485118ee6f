"""A Plivo-compatible server (Number, Call and Message list APIs): the honest other side of the
wire for tests and demos. docs/emulator.md says what it serves and how strictly.

It imports nothing else of bulkops, only the standard library and aiohttp::

    async with running_emulator(EmulatorConfig(numbers=500, seed=1)) as running:
        running.base_url, running.auth_id, running.auth_token   # point a client here
        running.emulator.numbers, running.emulator.served       # then look at what happened
        running.emulator.calls(), running.emulator.add_call(number)  # traffic history
"""

from bulkops.emulator.app import create_app
from bulkops.emulator.catalog import APPLICATION_IDS, SUBACCOUNT_IDS
from bulkops.emulator.config import EmulatorConfig, Faults, RateLimit
from bulkops.emulator.records import Mutation, Served
from bulkops.emulator.server import RunningEmulator, running_emulator
from bulkops.emulator.state import Emulator
from bulkops.emulator.traffic import CallRecord, MessageRecord, TrafficRecord, last_traffic
from bulkops.emulator.traffic_seed import TrafficKind

__all__ = [
    "APPLICATION_IDS",
    "SUBACCOUNT_IDS",
    "CallRecord",
    "Emulator",
    "EmulatorConfig",
    "Faults",
    "MessageRecord",
    "Mutation",
    "RateLimit",
    "RunningEmulator",
    "Served",
    "TrafficKind",
    "TrafficRecord",
    "create_app",
    "last_traffic",
    "running_emulator",
]

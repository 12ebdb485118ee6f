"""The comparison: what people write with Plivo's official SDK, run against the emulator.

`python -m bench.sdkloop --threads N --alias-prefix P` lists every number the way the SDK
iterates (`for n in client.numbers`), then updates each alias: with `--threads 1` in a plain
loop, otherwise in a `ThreadPoolExecutor(N)` (one client per thread: `requests.Session` is not
documented as thread-safe). The SDK has no retry: a 429 raises `PlivoRestError`. A plain loop
would die there with a traceback; to show what the whole run would have come to, this one
records every failure and carries on. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import plivo
from plivo import exceptions


class LocalPlivoClient(plivo.RestClient):  # type: ignore[misc]
    """A RestClient whose REST calls go to base_url (protocol sheet §2.4, option B)."""

    def __init__(self, auth_id: str, auth_token: str, base_url: str) -> None:
        super().__init__(auth_id, auth_token, timeout=30)
        self._local_base_uri = base_url.rstrip("/") + "/v1/Account"

    def create_request(self, method: str, path: Any = None, data: Any = None, **kw: Any) -> Any:
        # request() resets base_uri before every call, so re-point it here, just in time.
        self.base_uri = self._local_base_uri
        return super().create_request(method, path, data, **kw)


def new_client() -> LocalPlivoClient:
    env = os.environ
    return LocalPlivoClient(env["PLIVO_AUTH_ID"], env["PLIVO_AUTH_TOKEN"], env["PLIVO_API_URL"])


@dataclass
class Outcome:
    started: float
    succeeded: int = 0
    throttled: int = 0
    other_errors: int = 0
    first_429_after: int | None = None  # updates that had succeeded when the first 429 came
    first_429_seconds: float | None = None
    first_429_message: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, error: Exception | None) -> None:
        with self.lock:
            if error is None:
                self.succeeded += 1
            elif "429" in str(error):
                self.throttled += 1
                if self.first_429_after is None:
                    self.first_429_after = self.succeeded
                    self.first_429_seconds = round(time.monotonic() - self.started, 3)
                    self.first_429_message = f"{type(error).__name__}: {error}"
            else:
                self.other_errors += 1


def update(client: LocalPlivoClient, number: str, prefix: str, outcome: Outcome) -> None:
    try:
        client.numbers.update(number, alias=f"{prefix} {number}")
    except exceptions.PlivoRestError as error:
        outcome.record(error)
    else:
        outcome.record(None)


def run(threads: int, prefix: str) -> dict[str, Any]:
    started = time.monotonic()
    numbers = [n.number for n in new_client().numbers]
    listed = time.monotonic()
    outcome = Outcome(started=listed)
    if threads == 1:
        client = new_client()
        for number in numbers:
            update(client, number, prefix, outcome)
    else:
        local = threading.local()

        def task(number: str) -> None:
            if not hasattr(local, "client"):
                local.client = new_client()
            update(local.client, number, prefix, outcome)

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(task, numbers))
    done = time.monotonic()
    result = {k: v for k, v in vars(outcome).items() if k not in ("lock", "started")}
    return {
        "numbers": len(numbers),
        **result,
        "list_seconds": round(listed - started, 3),
        "update_seconds": round(done - listed, 3),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--alias-prefix", default="sdk")
    args = parser.parse_args()
    print(json.dumps(run(args.threads, args.alias_prefix)))

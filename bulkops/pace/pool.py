"""A fixed pool of workers pulling jobs from one iterator: memory stays flat for any job count.

Jobs handle their own failures (a failed number is data, not an exception). Only a run-level
fault raised by `handle` (bad credentials, a broken journal) cancels the pool. `stopping` is
checked before each job is taken, so a stop lets in-flight jobs finish.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import anyio

T = TypeVar("T")


async def run_pool(
    jobs: Iterator[T],
    handle: Callable[[T], Awaitable[None]],
    *,
    concurrency: int,
    stopping: Callable[[], bool],
) -> None:
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")

    async def worker() -> None:
        while not stopping():
            job = next(jobs, None)
            if job is None:
                return
            await handle(job)

    async with anyio.create_task_group() as group:
        for _ in range(concurrency):
            group.start_soon(worker)

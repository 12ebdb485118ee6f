"""The baseline: a minimal aiohttp loop making bulkops' requests, and nothing else.

`python -m bench.rawloop --concurrency C --alias-prefix P` lists every number (4 pages at a time,
as bulkops does), then POSTs `{"alias": "P <number>"}` to each with C workers. No journal, no
retries, no logging, no rate limit: the most this machine can do. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import time
from collections.abc import Iterator

import aiohttp

PAGE = 20
PAGE_CONCURRENCY = 4


async def list_numbers(session: aiohttp.ClientSession, url: str) -> list[str]:
    async def page(offset: int) -> list[str]:
        params = {"limit": str(PAGE), "offset": str(offset)}
        async with session.get(url, params=params) as response:
            body = await response.json()
        return [obj["number"] for obj in body["objects"]]

    async with session.get(url, params={"limit": str(PAGE), "offset": "0"}) as response:
        first = await response.json()
    total = first["meta"]["total_count"]
    offsets = iter(range(PAGE, total, PAGE))
    found = [obj["number"] for obj in first["objects"]]
    pages: dict[int, list[str]] = {}

    async def worker() -> None:
        for offset in offsets:
            pages[offset] = await page(offset)

    await asyncio.gather(*(worker() for _ in range(PAGE_CONCURRENCY)))
    for offset in sorted(pages):
        found.extend(pages[offset])
    return found


async def update_all(
    session: aiohttp.ClientSession, url: str, numbers: Iterator[str], prefix: str, workers: int
) -> int:
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for number in numbers:
            async with session.post(f"{url}{number}/", json={"alias": f"{prefix} {number}"}) as r:
                await r.read()
                failures += r.status != 202

    await asyncio.gather(*(worker() for _ in range(workers)))
    return failures


async def main(concurrency: int, prefix: str) -> dict[str, object]:
    auth_id, token = os.environ["PLIVO_AUTH_ID"], os.environ["PLIVO_AUTH_TOKEN"]
    url = f"{os.environ['PLIVO_API_URL']}/v1/Account/{auth_id}/Number/"
    basic = base64.b64encode(f"{auth_id}:{token}".encode()).decode()
    async with aiohttp.ClientSession(headers={"Authorization": f"Basic {basic}"}) as session:
        started = time.monotonic()
        numbers = await list_numbers(session, url)
        listed = time.monotonic()
        failures = await update_all(session, url, iter(numbers), prefix, concurrency)
        done = time.monotonic()
    return {
        "numbers": len(numbers),
        "failures": failures,
        "list_seconds": round(listed - started, 3),
        "update_seconds": round(done - listed, 3),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--alias-prefix", default="raw")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.concurrency, args.alias_prefix))))

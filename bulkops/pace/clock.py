"""The clock that pacing reads: the event loop's own, read directly.

On asyncio (the backend `anyio.run` starts) the loop's time is `time.monotonic()`, so a delay
computed from `now()` is what `anyio.sleep` waits. `anyio.current_time()` gives the same value
but looks the running backend up on every call, and the run reads its clock several times per
request.
"""

from time import monotonic as now

__all__ = ["now"]

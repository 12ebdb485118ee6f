"""Group commit in front of the journal.

`started` must be durable before the request goes out, so the caller waits for it; the workers
that ask within the same moment share one commit. `finished` marks are queued and written with the
next commit, or by `flush` at the latest: losing them to a crash costs only a GET on resume.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import anyio
import anyio.lowlevel

from bulkops.journal import Mark

Writer = Callable[[Sequence[Mark]], None]
FINISH_BATCH = 256  # queued completion marks that force a commit of their own


class Recorder:
    def __init__(self, write: Writer) -> None:
        self._write = write
        self._queue: list[Mark] = []
        self._commit_done: anyio.Event | None = None
        self._broken: BaseException | None = None
        self.commits = 0

    async def started(self, seq: int) -> None:
        """Record `seq` as in flight; return once that is committed."""
        self._queue.append(Mark(seq, "inflight"))
        if self._commit_done is None:
            self._commit_done = anyio.Event()
            done = self._commit_done
            try:
                await (
                    anyio.lowlevel.checkpoint()
                )  # let the other workers of this moment join the batch
                self._commit_done = None
                self.flush()
            except BaseException as exc:
                self._broken = exc
                raise
            finally:
                done.set()
        else:
            await self._commit_done.wait()
        if self._broken is not None:
            raise RuntimeError("the journal could not record the start of a task") from self._broken

    def finished(self, mark: Mark) -> None:
        self._queue.append(mark)
        if len(self._queue) >= FINISH_BATCH and self._commit_done is None:
            self.flush()

    def flush(self) -> None:
        batch, self._queue = self._queue, []
        if batch:
            self._write(batch)
            self.commits += 1

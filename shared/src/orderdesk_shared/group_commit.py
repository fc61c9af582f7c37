"""Group commit: the writes of concurrent requests share one transaction and one commit.

A busy API spends most of a request's database time on what every write repeats: taking a
connection, BEGIN, the outbox lock, COMMIT. A `GroupCommit` queues the items its callers hand it
and writes everything queued in one unit of work, while the next items queue behind it; each
caller's await returns once its item is committed. A batch that fails is written again item by
item, so a bad item fails only its own caller.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from orderdesk_shared.db import Database, UnitOfWork
from orderdesk_shared.telemetry import Traced, batch_span

T = TypeVar("T")
R = TypeVar("R")


BatchWriter = Callable[[UnitOfWork, Sequence[Traced[T]]], Awaitable[Sequence[R]]]


@dataclass(frozen=True, slots=True)
class _Waiting(Generic[T, R]):
    queued: Traced[T]
    result: asyncio.Future[R]


class GroupCommit(Generic[T, R]):
    """Writes queued items with `write_batch`, up to `max_batch` per transaction."""

    def __init__(self, database: Database, write_batch: BatchWriter[T, R], *, name: str, max_batch: int = 200) -> None:
        self._database = database
        self._write_batch = write_batch
        self._name = name
        self._max_batch = max_batch
        self._waiting: list[_Waiting[T, R]] = []
        self._wakeup = asyncio.Event()
        self._flusher: asyncio.Task | None = None

    async def write(self, item: T) -> R:
        """Queue `item`; returns what `write_batch` gave for it once its transaction has committed."""
        waiting = _Waiting(Traced.here(item), asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._wakeup.set()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_forever(), name=f"group-commit-{self._name}")
        return await waiting.result

    async def close(self) -> None:
        """Stop writing; callers still waiting are told the writer closed."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        for waiting in self._waiting:
            if not waiting.result.done():
                waiting.result.set_exception(RuntimeError(f"{self._name} writer closed before the write"))
        self._waiting.clear()

    async def _flush_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
                await self._flush(batch)

    async def _flush(self, batch: list[_Waiting[T, R]]) -> None:
        try:
            results = await self._write(batch)
        except Exception as error:
            if len(batch) == 1:
                if not batch[0].result.done():
                    batch[0].result.set_exception(error)
                return
            for waiting in batch:
                await self._flush([waiting])
            return
        for waiting, result in zip(batch, results, strict=True):
            if not waiting.result.done():
                waiting.result.set_result(result)

    async def _write(self, batch: list[_Waiting[T, R]]) -> Sequence[R]:
        # One span for the shared transaction, linked to every request it writes for.
        queued = [waiting.queued for waiting in batch]
        with batch_span(f"{self._name} group commit", queued):
            async with self._database.unit_of_work() as uow:
                return await self._write_batch(uow, queued)

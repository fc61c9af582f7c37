"""Committing a consumer's offsets to Kafka: behind its polls rather than before the next fetch, at most once a
second (OffsetCommits), and all at once before a rebalance or a stop."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from orderdesk_shared.logs import get_logger

log = get_logger(__name__)

# A consumer commits its offsets at most this often. Each commit is a write to __consumer_offsets, replicated, that
# wakes every fetch waiting on it; a commit per poll cost the brokers more than the orders' own records. A member
# that dies redelivers at most this long's records, which the inbox drops; a rebalance and a stop commit at once.
COMMIT_OFFSETS_EVERY_SECONDS = 1.0


Offsets = dict[TopicPartition, int]


class OffsetCommits:
    """A consumer's offset commits, made behind its polls rather than awaited before the next fetch (a Kafka round
    trip a poll), and at most one every `every` seconds.

    Offsets are added once their poll's transaction committed. One commit is in flight at a time; the polls that
    end meanwhile, or within `every` of it, are committed together by the next, so offsets reach Kafka in the order
    of their polls. A rebalance and a stop commit at once and wait until every offset added is committed
    (`settled`), so no member reads again what this one handled, and none skips what it did not.
    """

    def __init__(self, commit: Callable[[Offsets], Awaitable[None]], *, every: float) -> None:
        self._commit = commit
        self._every = every
        self._pending: Offsets = {}
        self._committing: asyncio.Task[None] | None = None
        self._now = asyncio.Event()

    def add(self, offsets: Offsets) -> None:
        self._pending.update(offsets)
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_pending(), name="offset-commit")

    async def _commit_pending(self) -> None:
        while self._pending:
            offsets, self._pending = self._pending, {}
            await self._commit(offsets)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._now.wait(), self._every)

    async def settled(self) -> None:
        """Commit what is pending now, and return once every offset added so far is committed (or its commit
        failed)."""
        if self._committing is not None:
            committing, self._committing = self._committing, None
            self._now.set()
            try:
                await committing
            finally:
                self._now.clear()

    def abandon(self) -> None:
        """Give up the commit in flight and those pending: their records are read again."""
        if self._committing is not None:
            self._committing.cancel()
            self._committing = None
        self._pending = {}


async def commit_offsets(consumer: AIOKafkaConsumer, offsets: Offsets) -> None:
    try:
        await consumer.commit(offsets)
    except (CommitFailedError, KafkaError) as error:
        # Partitions moved to another member; it will redeliver and the inbox drops the repeats.
        log.info("offset commit skipped", partitions=len(offsets), error=str(error))

"""Offsets committed behind the polls: one commit in flight, the polls that end meanwhile (or soon after it)
committed together next, in poll order, and all of them at once before a rebalance or stop goes on."""

import asyncio

from aiokafka import TopicPartition

from orderdesk_shared.consumer import OffsetCommits

FIRST, SECOND = TopicPartition("orders", 0), TopicPartition("orders", 1)


class SlowKafka:
    """Commits that wait until let through, one at a time."""

    def __init__(self) -> None:
        self.committed: list[dict[TopicPartition, int]] = []
        self.let_through = asyncio.Event()

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await self.let_through.wait()
        self.committed.append(offsets)


async def test_the_polls_that_end_while_a_commit_is_in_flight_are_committed_together_after_it():
    kafka = SlowKafka()
    commits = OffsetCommits(kafka.commit, every=0)

    commits.add({FIRST: 10})
    await asyncio.sleep(0)  # the first commit is in flight
    commits.add({FIRST: 12, SECOND: 3})
    commits.add({FIRST: 15})
    kafka.let_through.set()
    await commits.settled()

    assert kafka.committed == [{FIRST: 10}, {FIRST: 15, SECOND: 3}]


async def test_settled_waits_for_every_offset_added():
    kafka = SlowKafka()
    commits = OffsetCommits(kafka.commit, every=0)
    commits.add({FIRST: 1})

    settling = asyncio.create_task(commits.settled())
    for _ in range(3):
        await asyncio.sleep(0)
    assert not settling.done()  # the commit is held back, however long it is waited for
    kafka.let_through.set()
    await settling

    assert kafka.committed == [{FIRST: 1}]


async def test_abandoned_offsets_are_never_committed():
    kafka = SlowKafka()
    commits = OffsetCommits(kafka.commit, every=0)
    commits.add({FIRST: 1})
    await asyncio.sleep(0)
    commits.add({FIRST: 2})

    commits.abandon()
    kafka.let_through.set()
    await commits.settled()
    await asyncio.sleep(0)

    assert kafka.committed == []


async def _one_committed_then_more_added(*, every: float) -> tuple[SlowKafka, OffsetCommits]:
    """Kafka taking commits at once; a first poll's offsets committed, the next polls' added soon after."""
    kafka = SlowKafka()
    kafka.let_through.set()
    commits = OffsetCommits(kafka.commit, every=every)
    commits.add({FIRST: 1})
    await asyncio.sleep(0.01)
    commits.add({FIRST: 2})
    commits.add({SECOND: 7})
    return kafka, commits


async def test_the_polls_that_end_soon_after_a_commit_wait_to_be_committed_together():
    kafka, _still_committing = await _one_committed_then_more_added(every=0.2)

    assert kafka.committed == [{FIRST: 1}], "the next commit waits out the interval"
    await asyncio.sleep(0.3)

    assert kafka.committed == [{FIRST: 1}, {FIRST: 2, SECOND: 7}]


async def test_settled_commits_at_once_without_waiting_out_the_interval():
    kafka, commits = await _one_committed_then_more_added(every=3600)

    await asyncio.wait_for(commits.settled(), timeout=5)

    assert kafka.committed == [{FIRST: 1}, {FIRST: 2, SECOND: 7}]

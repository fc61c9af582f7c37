"""Group commit: concurrent writes share transactions, yet each caller's write stands or fails alone."""

import asyncio
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from opentelemetry import trace

from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.group_commit import GroupCommit
from orderdesk_shared.telemetry import Traced

pytestmark = pytest.mark.integration


def note_writer(harness, batch_sizes: list[int]):
    async def write_notes(uow: UnitOfWork, queued: Sequence[Traced[str]]) -> list[str]:
        batch_sizes.append(len(queued))
        if any(entry.item == "poison" for entry in queued):
            raise ValueError("a poison note")
        await uow.connection.execute(
            sa.insert(harness.notes), [{"order_id": f"PO-{entry.item}", "text": entry.item} for entry in queued]
        )
        for entry in queued:
            uow.emit(
                harness.model(order_id=f"PO-{entry.item}", order_version=1, text=entry.item),
                trace_context=entry.trace_context,
            )
        return [f"stored {entry.item}" for entry in queued]

    return write_notes


async def test_concurrent_writes_share_transactions_and_each_caller_gets_its_result(harness):
    batch_sizes: list[int] = []
    writer = GroupCommit(harness.database, note_writer(harness, batch_sizes), name="notes", max_batch=20)
    texts = [f"note {n}" for n in range(60)]
    try:
        results = await asyncio.gather(*(writer.write(text) for text in texts))
    finally:
        await writer.close()

    assert results == [f"stored {text}" for text in texts]
    assert sorted(await harness.noted_texts()) == sorted(texts)
    assert await harness.count(harness.database.tables.outbox) == 60
    assert max(batch_sizes) == 20, "writes waiting together should be committed together, up to max_batch"
    assert len(batch_sizes) < 60


async def test_a_bad_write_fails_only_its_own_caller(harness):
    writer = GroupCommit(harness.database, note_writer(harness, []), name="notes")
    try:
        outcomes = await asyncio.gather(
            *(writer.write(text) for text in ("first", "poison", "last")), return_exceptions=True
        )
    finally:
        await writer.close()

    assert outcomes[0] == "stored first" and outcomes[2] == "stored last"
    assert isinstance(outcomes[1], ValueError)
    assert sorted(await harness.noted_texts()) == ["first", "last"]
    assert await harness.count(harness.database.tables.outbox) == 2


async def test_each_event_carries_the_trace_of_the_request_that_wrote_it(harness):
    writer = GroupCommit(harness.database, note_writer(harness, []), name="notes")
    tracer = trace.get_tracer("test")

    async def traced_write(text: str) -> str:
        with tracer.start_as_current_span(f"request {text}") as span:
            await writer.write(text)
            return format(span.get_span_context().trace_id, "032x")

    try:
        trace_ids = await asyncio.gather(*(traced_write(text) for text in ("a", "b", "c")))
    finally:
        await writer.close()

    outbox = harness.database.tables.outbox
    async with harness.database.engine.connect() as connection:
        rows = (await connection.execute(sa.select(outbox.c.aggregate_id, outbox.c.traceparent))).all()
    carried = {order_id: traceparent.split("-")[1] for order_id, traceparent in rows}
    assert carried == {"PO-a": trace_ids[0], "PO-b": trace_ids[1], "PO-c": trace_ids[2]}

"""Lines of one order folded one after another: batches sharing orders wait for each other, and two transactions
waiting on each other's orders are redone, not lost."""

import asyncio

import pytest

from console import repository
from orderdesk_shared.errors import TransientError

pytestmark = pytest.mark.integration


async def test_two_batches_naming_the_same_orders_in_either_order_both_go_through(database):
    async with database.engine.connect() as first, database.engine.connect() as second:
        await first.begin()
        await repository.Orders(first).hold(["PO-B", "PO-A"])
        await second.begin()
        waiting = asyncio.create_task(repository.Orders(second).hold(["PO-A", "PO-B"]))
        await asyncio.sleep(0.2)
        assert not waiting.done(), "the second batch waits while the first holds the orders"
        await first.commit()
        await asyncio.wait_for(waiting, timeout=5)
        await second.commit()


async def test_two_transactions_each_holding_an_order_the_other_needs_end_in_one_retryable_failure(database):
    # Records redone one at a time each lock their own order, so a transaction can lock orders one after another.
    async with database.engine.connect() as first, database.engine.connect() as second:
        await first.begin()
        await second.begin()
        await repository.Orders(first).hold(["PO-A"])
        await repository.Orders(second).hold(["PO-B"])
        outcomes = await asyncio.gather(
            repository.Orders(first).hold(["PO-B"]), repository.Orders(second).hold(["PO-A"]), return_exceptions=True
        )
        assert sorted(type(outcome).__name__ for outcome in outcomes) == ["NoneType", TransientError.__name__]

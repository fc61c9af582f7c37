"""Lines of one order folded one after another: two batches waiting on each other's orders are redone, not lost."""

import asyncio

import pytest

from console import repository
from orderdesk_shared.errors import TransientError

pytestmark = pytest.mark.integration


async def test_two_batches_each_holding_an_order_the_other_needs_end_in_one_retryable_failure(database):
    async with database.engine.connect() as first, database.engine.connect() as second:
        await first.begin()
        await second.begin()
        await repository.lock_order(first, "PO-A")
        await repository.lock_order(second, "PO-B")
        outcomes = await asyncio.gather(
            repository.lock_order(first, "PO-B"), repository.lock_order(second, "PO-A"), return_exceptions=True
        )
        assert sorted(type(outcome).__name__ for outcome in outcomes) == ["NoneType", TransientError.__name__]

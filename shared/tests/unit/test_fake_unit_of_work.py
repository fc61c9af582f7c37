"""The fake unit of work behaves as the real one does where handlers can tell: deferred work runs at commit with
every item handed to it, a message is claimed once, and a savepoint whose block raises undoes its work."""

import pytest

from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.order import Stage
from orderdesk_shared.fake_unit_of_work import FakeUnitOfWork


class _WithOrders(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.orders: dict[str, str] = {}


def _fallout(order_id: str) -> OrderFallout:
    return OrderFallout(order_id=order_id, order_version=1, stage=Stage.APPROVED, kind=FalloutKind.HELD, findings=[])


async def test_deferred_work_runs_once_at_commit_with_every_item() -> None:
    uow, seen = FakeUnitOfWork(), []

    async def write_all(unit, items) -> None:
        seen.append((unit, [traced.item for traced in items]))

    uow.before_commit(write_all, "a")
    uow.before_commit(write_all, "b")
    assert seen == []
    await uow.commit()
    assert seen == [(uow, ["a", "b"])]
    assert uow.committed


async def test_a_message_is_claimed_once_per_consumer() -> None:
    uow = FakeUnitOfWork()
    assert await uow.first_deliveries(consumer="c", message_ids=["1", "2"]) == {"1", "2"}
    assert await uow.first_deliveries(consumer="c", message_ids=["2", "3"]) == {"3"}
    assert await uow.first_delivery(consumer="other", message_id="1")
    assert not await uow.first_delivery(consumer="c", message_id="1")


async def test_a_savepoint_that_raises_undoes_its_state_and_its_events() -> None:
    uow = _WithOrders()
    uow.orders["o-1"] = "kept"
    uow.emit(_fallout("o-1"))
    with pytest.raises(ValueError):
        async with uow.savepoint():
            uow.orders["o-2"] = "undone"
            uow.orders["o-1"] = "changed"
            uow.emit(_fallout("o-2"))
            raise ValueError("the handler failed")
    assert uow.orders == {"o-1": "kept"}
    assert [event.order_id for event in uow.events] == ["o-1"]


async def test_a_record_is_dead_lettered_once() -> None:
    uow = FakeUnitOfWork()
    place = {"consumer": "c", "topic": "t", "partition": 0, "offset": 7}
    assert await uow.dead_letter(**place, reason="unreadable")
    assert not await uow.dead_letter(**place, reason="unreadable again")
    assert [letter["reason"] for letter in uow.dead_letters] == ["unreadable"]

"""Commission's handlers on its unit of work in memory: what a rep's commission does as the order lives on —
ratified, installed, cancelled, disconnected, disputed — with the rules as the service loads them."""

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from commission.handlers import (
    DisputeRefused,
    NotYoursToDecide,
    decide_dispute,
    follow_operations,
    open_dispute,
    ratify_order,
    remember_corrector,
    reverse_cancelled_order,
)
from commission.publication import publish_roster
from commission.rules_in_force import load_rules
from commission.settings import Settings
from orderdesk_shared.auth import Principal, Role
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified, RosterPublished
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderType, Stage
from services.commission.tests.builders import handed_off
from services.commission.tests.unit.fakes import FakeCommissionUnitOfWork

RULES = load_rules(Settings.model_construct())
DAY = date(2026, 11, 2)
ANALYST = Principal(subject="carla", roles=frozenset({Role.COMMISSION_ANALYST}))
TWO_SERVICES = {"DIA-FIBER": "1000.00", "SIP-TRUNK": "333.33"}


def on(day: date) -> ServiceContext:
    return ServiceContext(rules=RULES, clock=lambda: datetime.combine(day, time(), UTC))


async def handle(uow: FakeCommissionUnitOfWork, handler, event, *, today: date = DAY) -> list:
    """Handle one event in a transaction of its own; the events it emitted."""
    emitted_before = len(uow.events)
    await handler(event, uow, on(today))
    await uow.commit()
    return uow.events[emitted_before:]


def balances(uow: FakeCommissionUnitOfWork, order_id: str) -> tuple[Decimal, Decimal]:
    postings = uow.ledger.of(order_id)
    return (
        sum((posting.entry.accrued_change for posting in postings), Decimal(0)),
        sum((posting.entry.payable_change for posting in postings), Decimal(0)),
    )


def reported(order_id: str, status: OpsStatus, day: date, *items: str) -> OpsOrderStatusChanged:
    return OpsOrderStatusChanged(
        order_id=order_id, order_version=1, status=status, effective_date=day, item_ids=list(items), reason="as asked"
    )


def cancel(order_id: str, kind: FalloutKind) -> OrderFallout:
    withdrew = Finding(reason_code="CANCELLED", message="the customer withdrew")
    return OrderFallout(order_id=order_id, order_version=1, stage=Stage.HANDED_OFF, kind=kind, findings=[withdrew])


@pytest.fixture
def uow() -> FakeCommissionUnitOfWork:
    return FakeCommissionUnitOfWork()


async def test_a_hand_off_is_ratified_at_commit_and_accrued_for_its_rep(uow):
    await ratify_order(handed_off("PO-1"), uow, on(DAY))
    assert uow.events == []  # the poll's hand-offs are ratified together, just before it commits

    await uow.commit()
    ratified, accrued = uow.events
    assert isinstance(ratified, OrderRatified)
    assert (ratified.order_id, ratified.eligible, ratified.commission_total) == ("PO-1", True, Decimal("1000.00"))
    assert isinstance(accrued, CommissionAdjusted)
    assert (accrued.kind, accrued.rep_id, accrued.amount) == ("accrued", "rep-001", Decimal("1000.00"))
    assert balances(uow, "PO-1") == (Decimal("1000.00"), Decimal(0))


async def test_a_hand_off_delivered_again_changes_nothing(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    assert await handle(uow, ratify_order, handed_off("PO-1")) == []
    assert balances(uow, "PO-1") == (Decimal("1000.00"), Decimal(0))


async def test_a_later_version_brings_the_commission_to_its_new_total(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    ratified, revised = await handle(uow, ratify_order, handed_off("PO-1", mrc="1200.00", version=2))
    assert (ratified.order_version, ratified.commission_total) == (2, Decimal("1200.00"))
    assert revised.accrued_change == Decimal("200.00")
    assert balances(uow, "PO-1") == (Decimal("1200.00"), Decimal(0))
    # the version before, arriving late, is not ratified over it
    assert await handle(uow, ratify_order, handed_off("PO-1", mrc="900.00")) == []


async def test_an_install_makes_the_commission_payable_once(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    [payable] = await handle(uow, follow_operations, reported("PO-1", OpsStatus.INSTALLED, DAY + timedelta(days=10)))
    assert (payable.kind, payable.amount, payable.effective_on) == ("payable", Decimal("1000.00"), date(2026, 11, 12))
    assert balances(uow, "PO-1") == (Decimal(0), Decimal("1000.00"))
    assert await handle(uow, follow_operations, reported("PO-1", OpsStatus.INSTALLED, DAY + timedelta(days=11))) == []
    assert uow.progress.rows["PO-1"].installed_on == date(2026, 11, 12)


async def test_what_operations_reported_is_stamped_with_the_service_clock(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    await handle(uow, follow_operations, reported("PO-1", OpsStatus.FAILED, DAY), today=DAY + timedelta(days=3))
    assert uow.progress.rows["PO-1"].updated_at == datetime(2026, 11, 5, tzinfo=UTC)
    await handle(uow, reverse_cancelled_order, cancel("PO-1", FalloutKind.CANCELLED), today=DAY + timedelta(days=4))
    assert uow.progress.rows["PO-1"].updated_at == datetime(2026, 11, 6, tzinfo=UTC)


async def test_an_item_cancelled_by_operations_takes_back_only_its_part(uow):
    # A new logo: 2.0 x 1333.33, of which item 2 (SIP-TRUNK) earned 666.66.
    await handle(uow, ratify_order, handed_off("PO-1", OrderType.NEW, mrc=TWO_SERVICES, account=None))
    [reversed_] = await handle(uow, follow_operations, reported("PO-1", OpsStatus.CANCELLED, DAY, "2"))
    assert reversed_.reason == "Operations stopped the work before install: as asked (items 2)"
    assert balances(uow, "PO-1") == (Decimal("2000.00"), Decimal(0))
    assert uow.progress.rows["PO-1"].cancelled_on is None  # the order itself goes on


async def test_a_failed_install_is_remembered_and_moves_no_commission(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    failed = reported("PO-1", OpsStatus.FAILED, DAY)
    assert await handle(uow, follow_operations, failed) == []
    assert uow.progress.rows["PO-1"].failure == "as asked"
    assert balances(uow, "PO-1") == (Decimal("1000.00"), Decimal(0))


async def test_a_cancel_before_install_reverses_and_a_cancel_only_requested_does_not(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    assert await handle(uow, reverse_cancelled_order, cancel("PO-1", FalloutKind.CANCELLATION_REQUESTED)) == []
    assert balances(uow, "PO-1") == (Decimal("1000.00"), Decimal(0))

    [reversed_] = await handle(uow, reverse_cancelled_order, cancel("PO-1", FalloutKind.CANCELLED))
    assert (reversed_.kind, reversed_.reason) == ("reversed", "cancelled before install: the customer withdrew")
    assert balances(uow, "PO-1") == (Decimal(0), Decimal(0))


async def test_what_operations_reported_before_ratification_is_applied_at_ratification(uow):
    assert await handle(uow, follow_operations, reported("PO-1", OpsStatus.CANCELLED, DAY, "2")) == []
    assert await handle(uow, follow_operations, reported("PO-1", OpsStatus.INSTALLED, DAY, "1")) == []
    emitted = await handle(uow, ratify_order, handed_off("PO-1", mrc=TWO_SERVICES))
    assert [type(event).__name__ for event in emitted] == ["OrderRatified", *["CommissionAdjusted"] * 3]
    assert [event.kind for event in emitted[1:]] == ["accrued", "reversed", "payable"]
    assert balances(uow, "PO-1") == (Decimal(0), Decimal("1000.00"))


async def test_a_disconnect_inside_the_window_claws_back_from_the_earlier_sale(uow):
    await handle(uow, ratify_order, handed_off("PO-SALE", OrderType.NEW))
    await handle(uow, follow_operations, reported("PO-SALE", OpsStatus.INSTALLED, DAY))
    emitted = await handle(uow, ratify_order, handed_off("PO-DISC", OrderType.DISCONNECT), today=DAY + timedelta(45))
    [clawback] = [event for event in emitted if isinstance(event, CommissionAdjusted)]
    assert (clawback.order_id, clawback.kind, clawback.amount) == ("PO-SALE", "clawback", Decimal("-1500.00"))
    assert balances(uow, "PO-SALE") == (Decimal(0), Decimal("500.00"))  # 135 of 180 days unserved


async def test_a_rep_opens_one_dispute_at_a_time_on_an_order_they_sold(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    dispute = dict(order_id="PO-1", claim="the second site was missed", context=on(DAY + timedelta(days=20)))
    assert await open_dispute(uow, rep_id="rep-002", **dispute) is None  # no commission of theirs on it

    dispute_id = await open_dispute(uow, rep_id="rep-001", **dispute)
    opened = uow.disputes.rows[dispute_id]
    assert (opened.order_id, opened.state, opened.opened_on) == ("PO-1", "open", date(2026, 11, 22))
    with pytest.raises(DisputeRefused, match=f"dispute {dispute_id} on this order is still open"):
        await open_dispute(uow, rep_id="rep-001", **dispute)


async def test_a_dispute_after_the_window_is_refused(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    with pytest.raises(DisputeRefused):
        await open_dispute(uow, order_id="PO-1", rep_id="rep-001", claim="late", context=on(DAY + timedelta(181)))


async def decide(uow, dispute_id: str, *, analyst: Principal = ANALYST, approve: bool = True, adjustment="150.00"):
    amount = None if adjustment is None else Decimal(adjustment)
    return await decide_dispute(
        uow,
        dispute_id=dispute_id,
        analyst=analyst,
        approve=approve,
        reason="site 2 confirmed",
        adjustment=amount,
        context=on(date(2026, 12, 3)),
    )


@contextlib.contextmanager
def disputed(uow: FakeCommissionUnitOfWork) -> Iterator[None]:
    """Nothing in the block may emit."""
    emitted_before = len(uow.events)
    yield
    assert uow.events[emitted_before:] == []


async def test_an_approved_dispute_adjusts_the_reps_commission_once(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    dispute_id = await open_dispute(uow, order_id="PO-1", rep_id="rep-001", claim="missed site", context=on(DAY))

    assert await decide(uow, dispute_id)
    [adjustment] = uow.events[-1:]
    assert (adjustment.kind, adjustment.payable_change, adjustment.effective_on) == (
        "dispute",
        Decimal("150.00"),
        date(2026, 12, 3),
    )
    assert adjustment.reason == "dispute " + dispute_id + " approved: site 2 confirmed"
    decided = uow.disputes.rows[dispute_id]
    assert (decided.state, decided.decided_by, decided.adjustment) == ("approved", "carla", Decimal("150.00"))
    with disputed(uow), pytest.raises(DisputeRefused, match="was approved already"):
        await decide(uow, dispute_id, approve=False, adjustment=None)


async def test_a_rejected_dispute_moves_nothing_and_an_approval_needs_an_adjustment(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    dispute_id = await open_dispute(uow, order_id="PO-1", rep_id="rep-001", claim="missed site", context=on(DAY))
    with disputed(uow), pytest.raises(DisputeRefused, match="needs a non-zero adjustment"):
        await decide(uow, dispute_id, adjustment="0")
    with disputed(uow):
        assert await decide(uow, dispute_id, approve=False, adjustment=None)
    assert uow.disputes.rows[dispute_id].state == "rejected"
    assert balances(uow, "PO-1") == (Decimal("1000.00"), Decimal(0))


async def test_nobody_decides_a_dispute_about_an_order_they_corrected(uow):
    await handle(uow, ratify_order, handed_off("PO-1"))
    dispute_id = await open_dispute(uow, order_id="PO-1", rep_id="rep-001", claim="missed site", context=on(DAY))
    await handle(uow, remember_corrector, OrderCorrected(order_id="PO-1", order_version=2, corrected_by="carla"))
    with disputed(uow), pytest.raises(NotYoursToDecide):
        await decide(uow, dispute_id)
    assert uow.disputes.rows[dispute_id].state == "open"
    assert (
        await decide_dispute(
            uow, dispute_id="DSP-NONE", analyst=ANALYST, approve=False, reason="-", adjustment=None, context=on(DAY)
        )
        is False
    )


class _Database:
    """What publish_roster opens its transaction on."""

    def __init__(self, uow: FakeCommissionUnitOfWork) -> None:
        self._uow = uow

    @contextlib.asynccontextmanager
    async def unit_of_work(self):
        yield self._uow
        await self._uow.commit()


async def test_the_roster_in_force_is_announced_once_per_version(uow):
    await publish_roster(_Database(uow), on(DAY))
    await publish_roster(_Database(uow), on(DAY))
    [published] = uow.events
    assert isinstance(published, RosterPublished)
    assert (published.version, published.reps) == (RULES.roster.version, list(RULES.roster.reps.values()))
    assert published.reps

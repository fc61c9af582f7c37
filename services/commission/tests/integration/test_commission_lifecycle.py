"""A rep's commission as the order lives on, on commission's real schema: ratified, installed, cancelled,
disconnected, reconciled — seen through the API as a rep and a commission analyst see it (disputes:
test_commission_disputes.py)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commission.handlers import follow_operations, ratify_order, reverse_cancelled_order
from commission.tables import messaging
from orderdesk_shared.auth import Role
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderType, Stage
from services.commission.tests.builders import catalogue_components, handed_off
from services.commission.tests.integration.conftest import bearer, on
from services.commission.tests.integration.ledger_steps import (
    ANALYST,
    DAY,
    balances,
    commission_of,
    handle,
    installed,
    new_account,
    new_id,
    ratified_order,
)

pytestmark = pytest.mark.integration


def cancel(order_id: str, kind: FalloutKind) -> OrderFallout:
    """Intake's cancel of a handed-off order: taken effect (cancelled) or asked of Operations (requested)."""
    withdrew = Finding(reason_code="CANCELLED", message="the customer withdrew")
    return OrderFallout(order_id=order_id, order_version=1, stage=Stage.HANDED_OFF, kind=kind, findings=[withdrew])


async def test_a_ratified_order_becomes_payable_when_operations_installs_it(database, api):
    order_id = new_id()
    emitted = await handle(database, ratify_order, handed_off(order_id, account=new_account()), today=DAY)
    [ratified] = [OrderRatified.model_validate_json(r.value) for r in emitted if r.topic == "orders.ratified"]
    assert (ratified.eligible, ratified.commission_total) == (True, Decimal("1000.00"))  # add: 1.0x
    assert balances(await commission_of(api, order_id)) == (Decimal("1000.00"), Decimal(0))

    emitted = await handle(database, follow_operations, installed(order_id, DAY + timedelta(days=10)))
    [adjusted] = [CommissionAdjusted.model_validate_json(r.value) for r in emitted]
    assert (adjusted.kind, adjusted.amount, adjusted.rep_id) == ("payable", Decimal("1000.00"), "rep-001")
    view = await commission_of(api, order_id)
    assert balances(view) == (Decimal(0), Decimal("1000.00"))
    assert view["installedOn"] == "2026-11-12"
    assert await handle(database, follow_operations, installed(order_id, DAY + timedelta(days=10))) == []


async def test_a_cancel_before_install_reverses_the_commission(database, api):
    order_id = await ratified_order(database)
    cancelled = cancel(order_id, FalloutKind.CANCELLED)
    await handle(database, reverse_cancelled_order, cancelled, today=DAY + timedelta(days=3))
    view = await commission_of(api, order_id)
    assert balances(view) == (Decimal(0), Decimal(0))
    assert view["ledger"][-1]["kind"] == "reversed"
    assert "the customer withdrew" in view["ledger"][-1]["reason"]
    # Operations installing it anyway afterwards pays nothing.
    await handle(database, follow_operations, installed(order_id, DAY + timedelta(days=5)))
    assert balances(await commission_of(api, order_id)) == (Decimal(0), Decimal(0))


def reported(order_id: str, status: OpsStatus, on: date, *items: str) -> OpsOrderStatusChanged:
    return OpsOrderStatusChanged(
        order_id=order_id, order_version=1, status=status, effective_date=on, item_ids=list(items), reason="as asked"
    )


async def test_a_cancel_after_hand_off_reverses_only_when_operations_confirms_it(database, api):
    order_id = await ratified_order(database)
    requested = cancel(order_id, FalloutKind.CANCELLATION_REQUESTED)
    assert await handle(database, reverse_cancelled_order, requested, today=DAY + timedelta(days=1)) == []
    assert await handle(database, follow_operations, reported(order_id, OpsStatus.RESCHEDULED, DAY)) == []
    assert balances(await commission_of(api, order_id)) == (Decimal("1000.00"), Decimal(0))

    await handle(database, follow_operations, reported(order_id, OpsStatus.CANCELLED, DAY + timedelta(days=2)))
    view = await commission_of(api, order_id)
    assert balances(view) == (Decimal(0), Decimal(0))
    assert (view["ledger"][-1]["kind"], view["ledger"][-1]["reason"]) == (
        "reversed",
        "Operations stopped the work before install: as asked",
    )
    assert view["cancelledOn"] == "2026-11-04"


async def test_a_cancel_operations_could_not_stop_in_time_ends_payable(database, api):
    order_id = await ratified_order(database)
    await handle(database, reverse_cancelled_order, cancel(order_id, FalloutKind.CANCELLATION_REQUESTED), today=DAY)
    await handle(database, follow_operations, installed(order_id, DAY + timedelta(days=1)))
    await handle(database, follow_operations, reported(order_id, OpsStatus.CANCELLED, DAY + timedelta(days=2)))
    assert balances(await commission_of(api, order_id)) == (Decimal(0), Decimal("1000.00"))


TWO_SERVICES = {"DIA-FIBER": "1000.00", "SIP-TRUNK": "333.33"}


async def test_an_item_cancelled_by_operations_takes_back_only_its_part(database, api):
    order_id = new_id()
    # A new logo: 2.0 x 1333.33, of which item 2 (SIP-TRUNK) earned 666.66.
    await handle(database, ratify_order, handed_off(order_id, OrderType.NEW, mrc=TWO_SERVICES, account=None), today=DAY)
    await handle(database, follow_operations, reported(order_id, OpsStatus.CANCELLED, DAY, "2"))
    view = await commission_of(api, order_id)
    assert balances(view) == (Decimal("2000.00"), Decimal(0))
    assert view["ledger"][-1]["reason"] == "Operations stopped the work before install: as asked (items 2)"
    assert view["cancelledOn"] is None  # the order itself goes on

    # Installing the order (its one item left) pays the rest; item 2 stays cancelled.
    await handle(database, follow_operations, reported(order_id, OpsStatus.INSTALLED, DAY + timedelta(days=9)))
    await handle(database, follow_operations, reported(order_id, OpsStatus.INSTALLED, DAY + timedelta(days=9), "2"))
    assert balances(await commission_of(api, order_id)) == (Decimal(0), Decimal("2000.00"))


async def test_an_item_installed_first_is_paid_and_cancelling_the_rest_reverses_the_rest(database, api):
    order_id = new_id()
    await handle(database, ratify_order, handed_off(order_id, mrc=TWO_SERVICES, account=new_account()), today=DAY)
    await handle(database, follow_operations, reported(order_id, OpsStatus.INSTALLED, DAY, "1"))
    assert balances(await commission_of(api, order_id)) == (Decimal("333.33"), Decimal("1000.00"))
    # The item installed is past cancelling: the cancel of the whole order stops what is left.
    await handle(database, follow_operations, reported(order_id, OpsStatus.CANCELLED, DAY, "1"))
    await handle(database, follow_operations, reported(order_id, OpsStatus.CANCELLED, DAY + timedelta(days=1)))
    assert balances(await commission_of(api, order_id)) == (Decimal(0), Decimal("1000.00"))


async def test_what_operations_reported_before_ratification_is_applied_at_ratification(database, api):
    order_id = new_id()
    await handle(database, follow_operations, reported(order_id, OpsStatus.CANCELLED, DAY, "2"))
    await handle(database, follow_operations, reported(order_id, OpsStatus.INSTALLED, DAY, "1"))
    await handle(database, ratify_order, handed_off(order_id, mrc=TWO_SERVICES, account=new_account()), today=DAY)
    view = await commission_of(api, order_id)
    assert balances(view) == (Decimal(0), Decimal("1000.00"))
    assert [entry["kind"] for entry in view["ledger"]] == ["accrued", "reversed", "payable"]


async def test_a_disconnect_inside_the_window_claws_back_pro_rata(database, api):
    account, sale, disconnect = new_account(), new_id(), new_id()
    await handle(database, ratify_order, handed_off(sale, OrderType.NEW, account=account), today=DAY)
    await handle(database, follow_operations, installed(sale, DAY))
    assert balances(await commission_of(api, sale)) == (Decimal(0), Decimal("2000.00"))  # new logo 2.0x

    emitted = await handle(
        database,
        ratify_order,
        handed_off(disconnect, OrderType.DISCONNECT, account=account),
        today=DAY + timedelta(days=45),
    )
    [clawback] = [CommissionAdjusted.model_validate_json(r.value) for r in emitted if r.topic == "commission.adjusted"]
    assert (clawback.order_id, clawback.kind, clawback.amount) == (sale, "clawback", Decimal("-1500.00"))
    assert balances(await commission_of(api, sale)) == (Decimal(0), Decimal("500.00"))  # 135 of 180 days unserved


async def test_the_disconnects_of_one_poll_claw_back_together_each_from_what_the_one_before_left(database, api):
    account, sale, disconnect = new_account(), new_id(), new_id()
    other_account, other_sale, other_disconnect = new_account(), new_id(), new_id()
    await handle(database, ratify_order, handed_off(sale, OrderType.NEW, mrc=TWO_SERVICES, account=account), today=DAY)
    await handle(database, ratify_order, handed_off(other_sale, OrderType.NEW, account=other_account), today=DAY)
    await handle(database, follow_operations, installed(sale, DAY))
    await handle(database, follow_operations, installed(other_sale, DAY))
    assert balances(await commission_of(api, sale)) == (Decimal(0), Decimal("2666.66"))

    later = on(DAY + timedelta(days=45))  # one context for the poll, as the running service has
    async with database.unit_of_work() as uow:
        await ratify_order(handed_off(disconnect, OrderType.DISCONNECT, mrc=TWO_SERVICES, account=account), uow, later)
        await ratify_order(handed_off(other_disconnect, OrderType.DISCONNECT, account=other_account), uow, later)
        await uow.run_deferred()
        emitted = uow.emitted
    clawbacks = [
        (event.order_id, event.amount)
        for event in (
            CommissionAdjusted.model_validate_json(r.value) for r in emitted if r.topic == "commission.adjusted"
        )
        if event.kind == "clawback"
    ]
    # Both services the sale sold are disconnected: the second takes its share of what the first left.
    assert sorted(clawbacks) == sorted(
        [(sale, Decimal("-1500.00")), (sale, Decimal("-218.75")), (other_sale, Decimal("-1500.00"))]
    )
    assert balances(await commission_of(api, sale)) == (Decimal(0), Decimal("947.91"))


async def test_a_downgrade_inside_the_window_debits_the_delta_from_the_sale(database, api):
    account, sale, change = new_account(), new_id(), new_id()
    await handle(database, ratify_order, handed_off(sale, OrderType.ADD, account=account), today=DAY)
    await handle(database, follow_operations, installed(sale, DAY))
    await handle(
        database,
        ratify_order,
        handed_off(change, OrderType.CHANGE, mrc="600.00", account=account),
        today=DAY + timedelta(days=30),
    )
    assert balances(await commission_of(api, sale)) == (Decimal(0), Decimal("600.00"))
    assert (await commission_of(api, change))["commissionTotal"] == "0.00"


async def test_a_later_version_revises_the_accrual_and_what_the_order_did_to_the_account(database, api):
    account, order_id, change = new_account(), new_id(), new_id()
    await handle(database, ratify_order, handed_off(order_id, OrderType.ADD, account=account), today=DAY)
    revised = handed_off(order_id, OrderType.ADD, mrc="1500.00", account=account, version=2)
    await handle(database, ratify_order, revised, today=DAY)
    view = await commission_of(api, order_id)
    assert [entry["kind"] for entry in view["ledger"]] == ["accrued", "revised"]
    assert balances(view) == (Decimal(view["commissionTotal"]), Decimal(0))
    emitted = await handle(
        database, ratify_order, handed_off(change, OrderType.CHANGE, mrc="600.00", account=account), today=DAY
    )
    [ratified] = [OrderRatified.model_validate_json(r.value) for r in emitted if r.topic == OrderRatified.topic]
    assert any("MRC 1500.00 -> 600.00" in line for line in ratified.explanation)


async def test_the_same_sale_again_within_the_window_is_a_duplicate_and_earns_nothing(database, api):
    account, sale, again = new_account(), new_id(), new_id()
    await handle(database, ratify_order, handed_off(sale, OrderType.NEW, account=account), today=DAY)
    emitted = await handle(
        database, ratify_order, handed_off(again, OrderType.NEW, account=account), today=DAY + timedelta(days=10)
    )
    [ratified] = [OrderRatified.model_validate_json(r.value) for r in emitted if r.topic == OrderRatified.topic]
    assert not ratified.eligible
    assert ratified.reasons[0].startswith(f"duplicate of {sale}")


async def ratified_event(database, event: OrderHandedOff, day: date) -> OrderRatified:
    emitted = await handle(database, ratify_order, event, today=day)
    [ratified] = [OrderRatified.model_validate_json(r.value) for r in emitted if r.topic == OrderRatified.topic]
    return ratified


async def test_the_same_offering_sold_to_the_account_at_another_location_is_no_duplicate(database, api):
    account, sale, elsewhere, again = new_account(), new_id(), new_id(), new_id()
    await handle(database, ratify_order, handed_off(sale, OrderType.NEW, account=account), today=DAY)
    later = DAY + timedelta(days=10)
    at_another_site = handed_off(elsewhere, OrderType.NEW, account=account, location="LOC-CHI-0002")
    assert (await ratified_event(database, at_another_site, later)).eligible
    at_the_first_site = await ratified_event(database, handed_off(again, OrderType.NEW, account=account), later)
    assert not at_the_first_site.eligible
    assert at_the_first_site.reasons[0].startswith(f"duplicate of {sale}")


async def test_a_sale_revised_to_not_eligible_is_no_longer_duplicated(database, api):
    account, sale, again = new_account(), new_id(), new_id()
    await handle(database, ratify_order, handed_off(sale, OrderType.NEW, account=account), today=DAY)
    unsigned = handed_off(sale, OrderType.NEW, account=account, signed=None, version=2)
    assert not (await ratified_event(database, unsigned, DAY)).eligible
    later = handed_off(again, OrderType.NEW, account=account)
    assert (await ratified_event(database, later, DAY + timedelta(days=10))).eligible


async def test_the_hand_offs_of_one_poll_are_ratified_as_if_one_after_another(database, api):
    account, sale, elsewhere, change = new_account(), new_id(), new_id(), new_id()
    poll = on(DAY)  # one context for the poll, as the running service has
    async with database.unit_of_work() as uow:
        await ratify_order(handed_off(sale, OrderType.ADD, account=account), uow, poll)
        await ratify_order(handed_off(elsewhere, OrderType.NEW, account=new_account()), uow, poll)
        await ratify_order(handed_off(change, OrderType.CHANGE, mrc="600.00", account=account), uow, poll)
        await uow.run_deferred()
        emitted = uow.emitted
    ratified = {
        event.order_id: event
        for event in (OrderRatified.model_validate_json(r.value) for r in emitted if r.topic == OrderRatified.topic)
    }
    assert list(ratified) == [sale, elsewhere, change]
    # The change is decided on the MRC the sale before it in the same poll left.
    assert any("MRC 1000.00 -> 600.00" in line for line in ratified[change].explanation)
    assert (await commission_of(api, elsewhere))["commissionTotal"] == "2000.00"


async def test_revenue_assurance_lists_uninstalled_and_unbilled_orders_as_csv(database, api):
    client, calendar = api
    clean, waiting, unbilled = new_id(), new_id(), new_id()
    day = date(2026, 11, 5)
    two_services = {"DIA-FIBER": "1000.00", "SIP-TRUNK": "333.33"}
    sip_monthly, _ = catalogue_components("SIP-TRUNK")
    await handle(database, ratify_order, handed_off(clean, mrc=two_services, account=new_account()), today=day)
    await handle(database, follow_operations, installed(clean, day))
    await handle(database, ratify_order, handed_off(waiting, account=new_account()), today=day)
    without_code = handed_off(unbilled, mrc=two_services, account=new_account(), unbilled=frozenset({sip_monthly}))
    await handle(database, ratify_order, without_code, today=day)
    await handle(database, follow_operations, installed(unbilled, day))
    calendar.day = date(2026, 12, 5)
    report = await client.get(
        "/commission/reconciliation",
        params={"from": "2026-11-05", "to": "2026-11-05", "format": "csv"},
        headers=ANALYST,
    )
    assert report.status_code == 200, report.text
    assert report.headers["content-type"].startswith("text/csv")
    rows = report.text.splitlines()
    assert f"{waiting},ratified-not-installed,not installed 30 days after ratification,1000.00,1000.00,1000.00" in rows
    assert (
        f'{unbilled},mrc-disagrees-with-billing,"MRC 1333.33 counted for commission, 1000.00 carries a billing code",'
        "1333.33,1333.33,1000.00"
    ) in rows
    assert not [row for row in rows if row.startswith(clean)]
    forbidden = await client.get(
        "/commission/reconciliation",
        params={"from": "2026-11-05", "to": "2026-11-05"},
        headers=bearer("rep-001", Role.SALES_REP),
    )
    assert forbidden.status_code == 403


async def test_revenue_assurance_lists_the_hand_offs_dead_lettered_that_day_and_never_ratified(database, api):
    client, _ = api
    lost, next_day, ratified_since, test = new_id(), new_id(), new_id(), uuid.uuid4().hex
    await handle(database, ratify_order, handed_off(ratified_since, account=new_account()), today=DAY)
    dead_lettered = {
        lost: datetime(2025, 3, 1, 23, 59, tzinfo=UTC),
        next_day: datetime(2025, 3, 2, 0, 1, tzinfo=UTC),
        ratified_since: datetime(2025, 3, 1, 12, tzinfo=UTC),
        None: datetime(2025, 3, 1, 8, tzinfo=UTC),
    }
    async with database.engine.begin() as connection:
        await connection.execute(
            sa.insert(messaging.dead_letters),
            [
                {
                    "consumer": "commission",
                    "topic": OrderHandedOff.topic,
                    "partition": 0,
                    "offset": uuid.uuid4().int % 2**62,
                    "key": key,
                    "headers": {},
                    "payload": b"{}",
                    "error_class": "ValidationError",
                    "reason": f"unreadable ({test})",
                    "created_at": at,
                }
                for key, at in dead_lettered.items()
            ],
        )
    report = await client.get(
        "/commission/reconciliation", params={"from": "2025-03-01", "to": "2025-03-01"}, headers=ANALYST
    )
    assert report.status_code == 200, report.text
    found = [d for d in report.json()["discrepancies"] if test in d["detail"]]
    assert [(d["orderId"], d["finding"]) for d in found] == [
        ("(no key)", "handed-off-not-ratified"),
        (lost, "handed-off-not-ratified"),
    ]
    assert found[1] == {
        "orderId": lost,
        "finding": "handed-off-not-ratified",
        "detail": f"the hand-off could not be ratified: unreadable ({test})",
        "commissionTotal": None,
        "commissionedMrc": None,
        "billedMrc": None,
    }

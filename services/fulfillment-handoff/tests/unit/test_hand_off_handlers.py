"""Approved orders handed off, or held for billing codes and released when the catalogue team adds them: the
handlers driven in memory, on the seed map."""

from datetime import date

from fulfillment_handoff.domain.billing import BillingCode, CodeKey
from fulfillment_handoff.handlers import hand_off, release_orders_waiting_on
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff, ProcessingPath

DIA_IN_CHICAGO = ("DIA-FIBER", "chicago")
SIP_IN_GRAND_RAPIDS = ("SIP-TRUNK", "grand-rapids")  # the seed map has no code for it: the order is held
SIP_KEY = CodeKey("SIP-TRUNK", "ICOMS", "GRR")
ROUTER_KEY = CodeKey("ROUTER-RENTAL", "ICOMS", "GRR")


async def commit_approvals(uow, context, *approvals) -> None:
    for approval in approvals:
        await hand_off(approval, uow, context)
    await uow.commit()


def code_for(key: CodeKey) -> BillingCode:
    return BillingCode(key, f"NEW-{key.price_component}", date(2026, 1, 1))


async def test_an_order_with_every_code_is_handed_off_with_its_billing_lines(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO))

    [handed_off] = uow.events
    assert isinstance(handed_off, OrderHandedOff)
    assert (handed_off.order_id, handed_off.order_version, handed_off.replaces_version) == ("PO-1", 1, None)
    assert [(line.item_id, line.billing_code, line.market) for line in handed_off.billing_lines] == [
        ("1", "B1101", "CHI")
    ]
    assert handed_off.processing_path is ProcessingPath.STANDARD
    assert handed_off.billing_date == context.clock().date()
    row = uow.handoffs.rows["PO-1"]
    assert (row["state"], row["handed_off_version"], row["item_ids"]) == ("handed-off", 1, ["1"])


async def test_billing_starts_on_the_requested_completion_date(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO, completion=date(2027, 3, 1)))

    [handed_off] = uow.events
    assert handed_off.billing_date == date(2027, 3, 1)


async def test_an_order_missing_a_code_is_held_on_a_ticket_and_the_desk_told_why(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-HELD", SIP_IN_GRAND_RAPIDS))

    [held] = uow.events
    assert isinstance(held, OrderFallout) and held.kind is FalloutKind.HELD
    assert [(f.reason_code, f.message) for f in held.findings] == [
        ("MISSING_BILLING_CODE", "no billing code for SIP-TRUNK in GRR (ICOMS)")
    ]
    assert uow.handoffs.rows["PO-HELD"]["state"] == "held"
    assert uow.tickets.waits == {"PO-HELD": [SIP_KEY]}


async def test_the_orders_of_one_transaction_are_handed_off_or_held_each_on_its_own_codes(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-A", DIA_IN_CHICAGO), approved("PO-B", SIP_IN_GRAND_RAPIDS))

    assert sorted((type(event).__name__, event.order_id) for event in uow.events) == [
        ("OrderFallout", "PO-B"),
        ("OrderHandedOff", "PO-A"),
    ]


async def test_of_two_versions_in_one_transaction_only_the_later_is_handed_off(uow, context, approved):
    await commit_approvals(
        uow, context, approved("PO-1", DIA_IN_CHICAGO, version=2), approved("PO-1", DIA_IN_CHICAGO, version=1)
    )

    assert [(event.order_id, event.order_version) for event in uow.events] == [("PO-1", 2)]


async def test_a_version_handed_off_before_is_not_handed_off_again(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO, version=2))
    uow.emitted.clear()

    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO, version=2))
    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO, version=1))

    assert uow.events == []


async def test_a_later_version_replaces_the_one_operations_has(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO))
    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO, ("DIA-FIBER", "chicago"), version=2))

    later = uow.events[-1]
    assert (later.order_version, later.replaces_version, len(later.billing_lines)) == (2, 1, 2)


async def test_an_approval_of_a_cancelled_order_stores_and_tells_nothing(uow, context, approved):
    await uow.orders.note_cancel("PO-1", 1, "the customer withdrew")

    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO), approved("PO-2", SIP_IN_GRAND_RAPIDS))
    await uow.orders.note_cancel("PO-2", 1, "the customer withdrew")
    await commit_approvals(uow, context, approved("PO-2", SIP_IN_GRAND_RAPIDS, version=2))

    assert "PO-1" not in uow.handoffs.rows
    assert [(event.order_id, event.order_version) for event in uow.events] == [("PO-2", 1)]


async def test_a_correction_with_every_code_releases_its_held_version(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-1", SIP_IN_GRAND_RAPIDS))
    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO, version=2))

    released, handed_off = uow.events[1:]
    assert (released.kind, released.order_version) == (FalloutKind.RELEASED, 2)
    assert (handed_off.order_version, handed_off.replaces_version) == (2, None)
    assert uow.tickets.waits == {}


async def test_adding_the_missing_code_hands_off_the_order_waiting_on_it(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-HELD", SIP_IN_GRAND_RAPIDS))
    uow.billing_codes.codes.append(code_for(SIP_KEY))

    assert await release_orders_waiting_on(uow, {SIP_KEY}, context) == ["PO-HELD"]

    released, handed_off = uow.events[1:]
    assert (released.kind, [f.message for f in released.findings]) == (
        FalloutKind.RELEASED,
        ["the missing billing codes were added"],
    )
    assert [line.billing_code for line in handed_off.billing_lines] == ["NEW-SIP-TRUNK"]
    assert uow.handoffs.rows["PO-HELD"]["state"] == "handed-off"
    assert uow.tickets.waits == {}


async def test_an_order_missing_two_codes_waits_on_the_other_once_one_is_added(uow, context, approved):
    order = approved("PO-TWO", SIP_IN_GRAND_RAPIDS, ("ROUTER-RENTAL", "grand-rapids"))
    await commit_approvals(uow, context, order)
    uow.billing_codes.codes.append(code_for(SIP_KEY))

    assert await release_orders_waiting_on(uow, {SIP_KEY}, context) == []

    held_again = uow.events[-1]
    assert (held_again.kind, [f.message for f in held_again.findings]) == (
        FalloutKind.HELD,
        ["no billing code for ROUTER-RENTAL in GRR (ICOMS)"],
    )
    assert uow.tickets.waits == {"PO-TWO": [ROUTER_KEY]}


async def test_a_hold_unchanged_by_the_codes_added_is_not_announced_again(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-HELD", SIP_IN_GRAND_RAPIDS))
    await uow.tickets.wait_on("PO-HELD", [SIP_KEY, ROUTER_KEY])  # as if it waited on a code it needs no longer

    assert await release_orders_waiting_on(uow, {ROUTER_KEY}, context) == []

    assert len(uow.events) == 1
    assert uow.tickets.waits == {"PO-HELD": [SIP_KEY]}


async def test_orders_not_held_are_left_alone_when_codes_are_added(uow, context, approved):
    await commit_approvals(uow, context, approved("PO-1", DIA_IN_CHICAGO))
    await uow.tickets.wait_on("PO-1", [SIP_KEY])  # a wait left over, as on a row another hand-off settled

    assert await release_orders_waiting_on(uow, {SIP_KEY}, context) == []
    assert len(uow.events) == 1

"""A cancelled or corrected order takes its open approvals off the approvers' desks, and a late decision is refused."""

import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind

from ..builders import internet_order
from .conftest import cancel, outbox_events, price, receive_correction, signed_in

pytestmark = pytest.mark.integration


async def _only_request(api, headers) -> dict:
    [request] = (await api.get("/pricing/approvals", headers=headers)).json()
    return request


async def test_a_cancel_withdraws_the_pending_request_and_a_late_approval_is_refused_naming_the_cancel(api, database):
    await price(database, internet_order("PO-CXL", discount="25"))
    director = signed_in(api, "dana-director", Role.SALES_DIRECTOR)
    request = await _only_request(api, director)

    await cancel(database, "PO-CXL", reason="the customer chose another provider")

    assert (await api.get("/pricing/approvals", headers=director)).json() == []
    shown = (await api.get(f"/pricing/approvals/{request['id']}", headers=director)).json()
    assert shown["status"] == "withdrawn"
    assert shown["withdrawnBecause"] == "order PO-CXL was cancelled: the customer chose another provider"
    assert shown["quote"]["status"] == "cancelled"
    emitted_before = len(await outbox_events(database))

    late = await api.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=director)
    assert late.status_code == 409
    assert late.headers["content-type"] == "application/problem+json"
    assert late.json()["detail"] == (
        f"request {request['id']} was withdrawn: order PO-CXL was cancelled: the customer chose another provider"
    )
    denied = await api.post(f"/pricing/approvals/{request['id']}/deny", json={"comment": "no"}, headers=director)
    assert denied.status_code == 409
    assert len(await outbox_events(database)) == emitted_before, "a refused decision emits nothing"
    assert (await api.get("/pricing/orders/PO-CXL/decisions", headers=director)).json() == []


async def test_approving_version_1_after_version_2_was_received_is_refused_naming_version_2(api, database):
    await price(database, internet_order("PO-V2", discount="25"))
    director = signed_in(api, "dana-director", Role.SALES_DIRECTOR)
    request = await _only_request(api, director)
    emitted_before = len(await outbox_events(database))

    await receive_correction(database, internet_order("PO-V2", discount="15"), version=2)

    late = await api.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=director)
    assert late.status_code == 409
    assert "order PO-V2 was corrected: version 2 replaces version 1" in late.json()["detail"]
    assert len(await outbox_events(database)) == emitted_before, "nothing is approved, handed on or announced"
    quote = (await api.get("/pricing/orders/PO-V2", headers=director)).json()
    assert (quote["orderVersion"], quote["status"]) == (1, "superseded")
    assert quote["approvals"][0]["withdrawnBecause"] == "order PO-V2 was corrected: version 2 replaces version 1"

    await price(database, internet_order("PO-V2", discount="15"), version=2)
    quote = (await api.get("/pricing/orders/PO-V2", headers=director)).json()
    assert (quote["orderVersion"], quote["status"]) == (2, "pending-approval")
    manager = signed_in(api, "max-manager", Role.SALES_MANAGER)
    assert (await _only_request(api, manager))["orderVersion"] == 2


async def test_a_late_qualified_order_is_not_priced_once_cancelled_or_corrected(api, database):
    await cancel(database, "PO-GONE", reason="duplicate of PO-1")
    await price(database, internet_order("PO-GONE", discount="25"))
    await receive_correction(database, internet_order("PO-OLD"), version=2)
    await price(database, internet_order("PO-OLD", discount="25"), version=1)

    rep = signed_in(api, "rep-007", Role.SALES_REP)
    for order_id in ("PO-GONE", "PO-OLD"):
        assert (await api.get(f"/pricing/orders/{order_id}", headers=rep)).status_code == 404
    assert await outbox_events(database) == []


async def test_a_cancel_requested_after_the_hand_off_leaves_the_approved_quote_as_it_was(api, database):
    await price(database, internet_order("PO-LIVE"))
    await cancel(database, "PO-LIVE", reason="site closed", kind=FalloutKind.CANCELLATION_REQUESTED)
    quote = (await api.get("/pricing/orders/PO-LIVE", headers=signed_in(api, "rep-007", Role.SALES_REP))).json()
    assert quote["status"] == "approved"


async def test_a_decision_on_an_order_whose_cancel_is_known_is_refused_even_while_its_request_is_open(api, database):
    await price(database, internet_order("PO-RACE", discount="25"))
    director = signed_in(api, "dana-director", Role.SALES_DIRECTOR)
    request = await _only_request(api, director)
    async with database.unit_of_work() as uow:
        await uow.orders.note_cancelled("PO-RACE", version=1, reason="customer left")

    late = await api.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=director)
    assert late.status_code == 409
    assert (
        late.json()["detail"]
        == f"request {request['id']} can no longer be decided: order PO-RACE was cancelled: customer left"
    )

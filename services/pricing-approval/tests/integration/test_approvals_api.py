"""An approval through pricing-approval's API, with real signed tokens, against its real schema."""

import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.pricing_approval import OrderApproved

from ..builders import internet_order
from .conftest import outbox_events, price, signed_in

pytestmark = pytest.mark.integration


async def test_the_sales_director_approves_from_their_queue_and_the_order_is_approved(api, database):
    await price(database, internet_order("PO-API-1", discount="25"))
    director = signed_in(api, "dana-director", Role.SALES_DIRECTOR)

    [request] = (await api.get("/pricing/approvals", headers=director)).json()
    assert (request["orderId"], request["role"], request["status"]) == ("PO-API-1", "sales_director", "pending")
    assert (await api.get("/pricing/approvals", headers=signed_in(api, "max", Role.SALES_MANAGER))).json() == []

    shown = (await api.get(f"/pricing/approvals/{request['id']}", headers=director)).json()
    assert shown["order"]["id"] == "PO-API-1"
    assert shown["quote"]["pricing"]["items"][0]["discountPercent"] == "25.00"

    granted = await api.post(
        f"/pricing/approvals/{request['id']}/approve", json={"comment": "strategic logo"}, headers=director
    )
    assert granted.status_code == 200, granted.text
    assert (granted.json()["status"], granted.json()["decidedBy"]) == ("granted", "dana-director")

    quote = (await api.get("/pricing/orders/PO-API-1", headers=director)).json()
    assert quote["status"] == "approved"
    approved = [event for event in await outbox_events(database) if isinstance(event, OrderApproved)]
    assert [(a.role, a.approver, a.comment) for a in approved[0].approvals] == [
        ("sales_director", "dana-director", "strategic logo")
    ]
    released = [e for e in await outbox_events(database) if getattr(e, "kind", None) is FalloutKind.RELEASED]
    assert len(released) == 1
    again = await api.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=director)
    assert again.status_code == 409


async def test_nobody_approves_an_order_they_sold_and_a_wrong_role_is_refused(api, database):
    await price(database, internet_order("PO-API-2", discount="25"))
    director = signed_in(api, "dana-director", Role.SALES_DIRECTOR)
    [request] = (await api.get("/pricing/approvals", headers=director)).json()

    for who, did in (("rep-007", "is named on"), ("sam-specialist", "submitted")):
        self_approval = await api.post(
            f"/pricing/approvals/{request['id']}/approve",
            json={},
            headers=signed_in(api, who, Role.SALES_DIRECTOR, Role.SALES_REP),
        )
        assert self_approval.status_code == 403
        assert self_approval.headers["content-type"] == "application/problem+json"
        assert f"{who} {did} order PO-API-2" in self_approval.json()["detail"]

    manager = await api.post(
        f"/pricing/approvals/{request['id']}/approve", json={}, headers=signed_in(api, "max", Role.SALES_MANAGER)
    )
    assert manager.status_code == 403
    assert "sales_director" in manager.json()["detail"]

    rep = await api.post(
        f"/pricing/approvals/{request['id']}/approve", json={}, headers=signed_in(api, "rep-009", Role.SALES_REP)
    )
    assert rep.status_code == 403

    still = (await api.get("/pricing/orders/PO-API-2", headers=director)).json()
    assert (still["status"], still["approvals"][0]["status"]) == ("pending-approval", "pending")
    assert (await api.get("/pricing/orders/PO-API-2/decisions", headers=director)).json() == []


async def test_a_denial_rejects_the_order_with_the_approvers_reason_and_is_audited(api, database):
    await price(database, internet_order("PO-API-3", discount="25", non_standard_terms="net 90 payment"))
    director = signed_in(api, "dana-director", Role.SALES_DIRECTOR)
    [request] = (await api.get("/pricing/approvals", headers=director)).json()

    without_reason = await api.post(f"/pricing/approvals/{request['id']}/deny", json={}, headers=director)
    assert without_reason.status_code == 422
    denied = await api.post(
        f"/pricing/approvals/{request['id']}/deny", json={"comment": "margin too thin"}, headers=director
    )
    assert denied.status_code == 200, denied.text

    quote = (await api.get("/pricing/orders/PO-API-3", headers=director)).json()
    assert quote["status"] == "rejected"
    assert quote["rejection"]["reasonCode"] == "PRICING_UNAPPROVED"
    assert quote["rejection"]["message"] == "sales_director dana-director denied the order: margin too thin"
    assert {a["role"]: a["status"] for a in quote["approvals"]} == {"sales_director": "denied", "legal": "withdrawn"}
    legal = signed_in(api, "lee-legal", Role.LEGAL)
    assert (await api.get("/pricing/approvals", headers=legal)).json() == []
    [decision] = (await api.get("/pricing/orders/PO-API-3/decisions", headers=legal)).json()
    assert (decision["decision"], decision["actor"], decision["comment"]) == (
        "denied",
        "dana-director",
        "margin too thin",
    )

"""The desk's capital review through pricing-approval's API on its real schema: the sites of the capital view, a flag
that holds the order past its last grant, its resolution letting the order go on, and a cancel closing a flag."""

import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.pricing_approval import OrderApproved
from pricing_approval.handlers import price_order

from ..builders import internet_order, qualified
from .conftest import CONTEXT, cancel, outbox_events, signed_in

pytestmark = pytest.mark.integration

FLAG = {
    "verdict": "flagged",
    "itemId": "1",
    "input": "construction",
    "reason": "the estimate leaves out the conduit under the rail spur",
    "team": "construction",
}


async def _price_a_build(database, order_id: str) -> None:
    """A 500 ft build paying back in 39.5 months: it waits for finance and the VP of sales."""
    async with database.unit_of_work() as uow:
        await price_order(qualified(internet_order(order_id), near_net_feet=500), uow, CONTEXT)


async def test_a_flag_holds_the_order_past_its_grants_and_its_resolution_approves_it(api, database):
    await _price_a_build(database, "PO-ROI")
    specialist = signed_in(api, "kim-specialist", Role.SPECIALIST)
    quote = (await api.get("/pricing/orders/PO-ROI", headers=specialist)).json()
    [site] = quote["pricing"]["capital"]["sites"]
    assert (site["itemId"], site["constructionEstimate"], site["mrcSharePercent"]) == ("1", "37500", "100.0")

    flagged = await api.post("/pricing/orders/PO-ROI/capital-review", json=FLAG, headers=specialist)
    assert flagged.status_code == 200, flagged.text
    held = (await outbox_events(database))[-1]
    assert isinstance(held, OrderFallout) and held.kind is FalloutKind.HELD
    assert held.findings[0].reason_code == "CAPITAL_REVIEW_FLAGGED"

    for request in quote["approvals"]:
        approver = signed_in(api, f"{request['role']}-approver", Role(request["role"]))
        granted = await api.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=approver)
        assert granted.status_code == 200, granted.text
    waiting = (await api.get("/pricing/orders/PO-ROI", headers=specialist)).json()
    assert waiting["status"] == "pending-approval"
    assert [(r["verdict"], r["status"], r["team"]) for r in waiting["capitalReviews"]] == [
        ("flagged", "open", "construction")
    ]

    flag_id = flagged.json()["id"]
    resolved = await api.post(
        f"/pricing/orders/PO-ROI/capital-review/flags/{flag_id}/resolve",
        json={"resolution": "conduit priced in: $1,200 more, within the estimate's margin"},
        headers=specialist,
    )

    assert resolved.status_code == 200, resolved.text
    assert (await api.get("/pricing/orders/PO-ROI", headers=specialist)).json()["status"] == "approved"
    assert any(isinstance(event, OrderApproved) for event in (await outbox_events(database))[-2:])


async def test_a_flag_says_what_it_doubts_and_only_the_desk_flags(api, database):
    await _price_a_build(database, "PO-ROI-BAD")
    specialist = signed_in(api, "kim-specialist", Role.SPECIALIST)

    vague = await api.post(
        "/pricing/orders/PO-ROI-BAD/capital-review", json={"verdict": "flagged", "itemId": "1"}, headers=specialist
    )
    assert vague.status_code == 422
    rep = await api.post(
        "/pricing/orders/PO-ROI-BAD/capital-review", json=FLAG, headers=signed_in(api, "rep-007", Role.SALES_REP)
    )
    assert rep.status_code == 403


async def test_a_cancel_closes_the_open_flag(api, database):
    await _price_a_build(database, "PO-ROI-CXL")
    specialist = signed_in(api, "kim-specialist", Role.SPECIALIST)
    flag_id = (await api.post("/pricing/orders/PO-ROI-CXL/capital-review", json=FLAG, headers=specialist)).json()["id"]

    await cancel(database, "PO-ROI-CXL", reason="the customer chose another provider")

    [review] = (await api.get("/pricing/orders/PO-ROI-CXL", headers=specialist)).json()["capitalReviews"]
    assert (review["status"], review["closedBecause"]) == (
        "closed",
        "order PO-ROI-CXL was cancelled: the customer chose another provider",
    )
    late = await api.post(
        f"/pricing/orders/PO-ROI-CXL/capital-review/flags/{flag_id}/resolve",
        json={"resolution": "too late"},
        headers=specialist,
    )
    assert late.status_code == 409

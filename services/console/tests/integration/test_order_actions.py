"""What people do from an order's page, each through the service that owns it with their own token: cancel, release
a likely duplicate, send the proposal and record the customer's answer, upload the rep's own proposal and review its
differences, review the capital, open a service request and mark it done, report for Operations; and the capital
view."""

import uuid
from datetime import UTC, datetime

import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.order import Stage
from services.console.tests.builders import keep_events
from services.console.tests.integration.conftest import browse_as, notice

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
CANCEL = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"


async def _order(console_app, journeys, *, through: Stage, then: tuple[FalloutKind, str, str] | None = None) -> str:
    """An order in the console's read model that went through the stages up to `through`, and then fell out there
    (`then`: kind, reason code, message)."""
    order_id = f"PO-{uuid.uuid4().hex[:8]}"
    events = journeys.every_stage(order_id)[: through.rank + 1]
    if then is not None:
        events.append(journeys.fallout(then[0], through, *then[1:], order_id=order_id))
    await keep_events(console_app.state.runtime.database, *events, start=START)
    return order_id


async def test_a_rep_cancels_an_order_from_its_page_and_hears_what_intake_said(console_app, services, journeys):
    order_id = await _order(console_app, journeys, through=Stage.QUALIFIED)
    async with await browse_as(console_app, "rep-001", Role.SALES_REP) as rep:
        page = (await rep.get(f"/orders/{order_id}")).text
        assert "Cancel the order" in page
        services.answer("POST", CANCEL, {"state": "done", "productOrder": {"id": order_id}}, status=201)
        cancelled = await rep.post(f"/orders/{order_id}/cancel", data={"reason": " the customer withdrew "})
        assert notice(cancelled.text) == f"Cancelled {order_id}."
        asked = services.posted(CANCEL)
        assert asked.caller == "rep-001"
        assert asked.body == {"productOrder": {"id": order_id}, "cancellationReason": "the customer withdrew"}

        services.answer("POST", CANCEL, {"state": "acknowledged"}, status=201)
        handed_off = await rep.post(f"/orders/{order_id}/cancel", data={"reason": "moved"})
        assert notice(handed_off.text) == (
            f"Cancel of {order_id} accepted (acknowledged): Operations is asked to stop the work."
        )
        services.answer("POST", CANCEL, {"title": "Conflict", "detail": f"order {order_id} is installed"}, status=409)
        refused = await rep.post(f"/orders/{order_id}/cancel", data={"reason": "too late"})
        assert notice(refused.text) == f"Intake refused: 409 order {order_id} is installed"
    async with await browse_as(console_app, "carla", Role.COMMISSION_ANALYST) as analyst:
        assert "Cancel the order" not in (await analyst.get(f"/orders/{order_id}")).text


async def test_a_specialist_releases_an_order_held_as_a_likely_duplicate(console_app, services, journeys):
    held_as_duplicate = (FalloutKind.HELD, "DUPLICATE_ORDER", "like PO-0 of 2026-11-02")
    order_id = await _order(console_app, journeys, through=Stage.VALIDATED, then=held_as_duplicate)
    release = f"/intake/duplicates/{order_id}/release"
    services.answer("POST", release, {"id": order_id, "state": "inProgress"})
    async with await browse_as(console_app, "dana", Role.SPECIALIST) as dana:
        page = (await dana.get(f"/orders/{order_id}")).text
        assert "Cancel or release" in page and "Release: not a duplicate" in page
        released = await dana.post(f"/orders/{order_id}/release", data={"note": "a second site, not a repeat"})
    assert notice(released.text) == f"Released {order_id}: it is no duplicate and goes on."
    asked = services.posted(release)
    assert (asked.caller, asked.body) == ("dana", {"note": "a second site, not a repeat"})
    async with await browse_as(console_app, "rep-001", Role.SALES_REP) as rep:
        page = (await rep.get(f"/orders/{order_id}")).text
    assert "Cancel the order" in page and "Release: not a duplicate" not in page


def _proposal(order_id: str, state: str, **more) -> dict:
    return {"orderId": order_id, "orderVersion": 1, "state": state, "expiresOn": "2026-12-30"} | more


async def test_the_proposal_is_sent_then_its_acceptance_by_a_contact_of_the_order_recorded(
    console_app, services, journeys
):
    order_id = await _order(console_app, journeys, through=Stage.APPROVED)
    proposal = f"/pricing/orders/{order_id}/proposal"
    services.answer("GET", proposal, _proposal(order_id, "draft"))
    services.answer("POST", f"{proposal}/send", _proposal(order_id, "sent"))
    async with await browse_as(console_app, "rep-001", Role.SALES_REP) as rep:
        page = (await rep.get(f"/orders/{order_id}")).text
        assert '<dd id="proposal-state">draft</dd>' in page and "Send the proposal" in page
        sent = await rep.post(f"/orders/{order_id}/proposal/send")
        assert notice(sent.text) == f"The proposal for {order_id} is sent."
        assert services.posted(f"{proposal}/send").body == {}

        services.answer("GET", proposal, _proposal(order_id, "sent", sentAt="2026-12-01T10:00:00Z", sentBy="rep-001"))
        page = (await rep.get(f"/orders/{order_id}")).text
        assert "sent" in page and "Record acceptance" in page and "Record decline" in page
        assert "<option>Pat Buyer</option><option>Lee Finance</option>" in page  # the order's contacts sign
        services.answer("POST", f"{proposal}/accept", _proposal(order_id, "accepted", signedBy="Pat Buyer"))
        accepted = await rep.post(
            f"/orders/{order_id}/proposal/accept", data={"signed_by": "Pat Buyer", "signed_on": "2026-12-02"}
        )
        assert notice(accepted.text) == f"The proposal for {order_id} is accepted."
        assert services.posted(f"{proposal}/accept").body == {"signedBy": "Pat Buyer", "signedOn": "2026-12-02"}

        services.answer(
            "POST",
            f"{proposal}/decline",
            {"title": "Conflict", "detail": "the proposal was accepted on 2026-12-02"},
            status=409,
        )
        declined = await rep.post(f"/orders/{order_id}/proposal/decline", data={"reason": "too dear"})
    assert notice(declined.text) == "Pricing-approval refused: 409 the proposal was accepted on 2026-12-02"
    assert services.posted(f"{proposal}/decline").body == {"reason": "too dear"}


async def test_a_reps_proposal_is_uploaded_its_differences_shown_and_approved_through_pricing(
    console_app, services, journeys
):
    order_id = await _order(console_app, journeys, through=Stage.PRICED)
    listed = f"/pricing/orders/{order_id}/rep-proposals"
    price = {
        "number": 1,
        "kind": "mrc",
        "where": "line 2, item 1",
        "stated": "$399.00",
        "expected": "$423.20",
        "source": "the order's priced quote (catalogue catalogue/1)",
    }
    uploaded = {"id": "RPP-1", "version": 1, "fileName": "offer.pdf", "state": "in-review", "differences": [price]}
    services.answer("POST", listed, uploaded, status=201)
    async with await browse_as(console_app, "rep-002", Role.SALES_REP) as rep:
        sent = await rep.post(f"/orders/{order_id}/rep-proposals", files={"file": ("offer.pdf", b"%PDF-1.7 ...")})
    assert notice(sent.text) == "Uploaded version 1 of the rep's proposal: 1 differences from the order."
    assert (services.posted(listed).caller, services.posted(listed).body) == (
        "rep-002",
        {"file": ("offer.pdf", b"%PDF-1.7 ...")},
    )

    services.answer("GET", listed, [uploaded | {"uploadedBy": "rep-002", "openDifferences": 1}])
    async with await browse_as(console_app, "dana", Role.SPECIALIST) as dana:
        page = (await dana.get(f"/orders/{order_id}")).text
        assert "<td>$399.00</td><td>$423.20</td>" in page and "Why it may stand" in page
        assert "Approve this version" not in page  # a difference is open
        services.answer("POST", f"{listed}/RPP-1/differences/1/accept", uploaded)
        accepted = await dana.post(
            f"/orders/{order_id}/rep-proposals/RPP-1/differences/1/accept", data={"reason": "agreed on the call"}
        )
        assert notice(accepted.text) == "Accepted difference 1 of RPP-1."
        assert services.posted(f"{listed}/RPP-1/differences/1/accept").body == {"reason": "agreed on the call"}
        services.answer("POST", f"{listed}/RPP-1/approve", uploaded | {"state": "approved"})
        approved = await dana.post(f"/orders/{order_id}/rep-proposals/RPP-1/approve")
    assert notice(approved.text) == f"Approved version 1 of the rep's proposal for {order_id}."


async def test_an_order_that_needs_construction_shows_its_capital_view(console_app, services, journeys):
    order_id = await _order(console_app, journeys, through=Stage.PRICED)
    capital = {
        "constructionEstimate": "46500.00",
        "ciac": "10000.00",
        "netCapex": "36500.00",
        "monthlyContribution": "1110.00",
        "termMonths": 36,
        "paybackMonths": "32.9",
        "simpleRoiPercent": "9.5",
        "npv": "-1234.56",
    }
    services.answer("GET", f"/pricing/orders/{order_id}", {"orderId": order_id, "pricing": {"capital": capital}})
    async with await browse_as(console_app, "sam", Role.SALES_MANAGER) as manager:
        page = (await manager.get(f"/orders/{order_id}")).text
    assert '<section id="capital">' in page
    for shown in ("46500.00", "10000.00", "36500.00", "32.9 months", "9.5%", "-1234.56"):
        assert shown in page
    assert "Send the proposal" not in page  # only reps and specialists deal with the customer
    assert "No proposal to show: Pricing-approval refused: 404" in page  # the stand-in has none


async def test_a_specialist_flags_a_sites_input_and_resolves_the_flag_through_pricing(console_app, services, journeys):
    order_id = await _order(console_app, journeys, through=Stage.PRICED)
    site = {
        "itemId": "2",
        "locationId": "LOC-CHI-0012",
        "accessMedium": "fiber",
        "distanceToFiberFt": 480,
        "constructionEstimate": "36600.00",
        "netMrc": "1800.00",
        "mrcSharePercent": "50.0",
        "monthlyContribution": "1080.00",
        "paybackMonths": "33.89",
        "npv": "-1993.18",
    }
    capital = {"constructionEstimate": "36600.00", "ciac": "0", "netCapex": "36600.00", "sites": [site]}
    quote = f"/pricing/orders/{order_id}"
    services.answer("GET", quote, {"status": "pending-approval", "pricing": {"capital": capital}, "capitalReviews": []})
    flag = {"id": "CRV-1", "verdict": "flagged", "itemId": "2", "input": "distance", "team": "engineering"}
    services.answer("POST", f"{quote}/capital-review", flag)
    async with await browse_as(console_app, "dana", Role.SPECIALIST) as dana:
        page = (await dana.get(f"/orders/{order_id}")).text
        assert '<table id="capital-sites">' in page and "<td>LOC-CHI-0012</td>" in page and "33.89 months" in page
        assert "Flag and hold the order" in page and "Not reviewed yet." in page
        flagged = await dana.post(
            f"/orders/{order_id}/capital-review",
            data={
                "verdict": "flagged",
                "item_id": "2",
                "doubted_input": "distance",
                "reason": "the drawing says 620 ft",
                "team": "engineering",
            },
        )
        assert notice(flagged.text) == (
            f"Flagged the distance of item 2 for engineering (CRV-1): {order_id} is held until it is resolved."
        )
        asked = services.posted(f"{quote}/capital-review")
        assert (asked.caller, asked.body) == (
            "dana",
            {
                "verdict": "flagged",
                "itemId": "2",
                "input": "distance",
                "reason": "the drawing says 620 ft",
                "team": "engineering",
            },
        )

        services.answer(
            "GET",
            quote,
            {
                "status": "pending-approval",
                "pricing": {"capital": capital},
                "capitalReviews": [
                    flag | {"status": "open", "reason": "the drawing says 620 ft", "reviewedBy": "dana"}
                ],
            },
        )
        page = (await dana.get(f"/orders/{order_id}")).text
        assert "dana flagged the distance of item 2 for engineering: the drawing says 620 ft (open)" in page
        resolve = f"{quote}/capital-review/flags/CRV-1/resolve"
        services.answer("POST", resolve, flag | {"status": "resolved"})
        resolved = await dana.post(f"/orders/{order_id}/capital-review/flags/CRV-1/resolve", data={"resolution": "480"})
    assert notice(resolved.text) == f"Resolved flag CRV-1 of {order_id}."
    assert services.posted(resolve).body == {"resolution": "480"}
    async with await browse_as(console_app, "rep-001", Role.SALES_REP) as rep:
        assert "Flag and hold the order" not in (await rep.get(f"/orders/{order_id}")).text


async def test_operations_reports_a_failed_item_through_fulfillment(console_app, services, journeys):
    order_id = await _order(console_app, journeys, through=Stage.HANDED_OFF)
    reports = f"/fulfillment/orders/{order_id}/operations-reports"
    services.answer("POST", reports, None, status=202)
    async with await browse_as(console_app, "olga", Role.OPERATIONS) as olga:
        page = (await olga.get(f"/orders/{order_id}")).text
        assert "Report for Operations" in page and 'value="2"> item 2' in page
        assert "<option>cancelled</option>" not in page  # only once Operations is asked to stop the work
        reported = await olga.post(
            f"/orders/{order_id}/operations-report",
            data={"status": "failed", "effective_date": "2026-12-01", "reason": "no riser access", "item_ids": ["2"]},
        )
        assert notice(reported.text) == (
            f"Reported failed for {order_id} (items 2): the order follows when fulfillment has it."
        )
        assert services.posted(reports).body == {
            "status": "failed",
            "effectiveDate": "2026-12-01",
            "reason": "no riser access",
            "itemIds": ["2"],
        }
        services.refuse_field("POST", reports, "effectiveDate", "the order was handed off on 2026-11-30")
        refused = await olga.post(
            f"/orders/{order_id}/operations-report", data={"status": "installed", "effective_date": "2026-11-01"}
        )
        assert notice(refused.text) == (
            "Fulfillment refused: 422 1 field(s) need fixing (effectiveDate: the order was handed off on 2026-11-30)"
        )
        assert services.posted(reports).body == {"status": "installed", "effectiveDate": "2026-11-01"}
    async with await browse_as(console_app, "rep-001", Role.SALES_REP) as rep:
        assert "Report for Operations" not in (await rep.get(f"/orders/{order_id}")).text


async def test_operations_can_answer_a_cancel_it_was_asked_for(console_app, services, journeys):
    cancel_asked = (FalloutKind.CANCELLATION_REQUESTED, "CANCELLED", "the customer moved")
    order_id = await _order(console_app, journeys, through=Stage.HANDED_OFF, then=cancel_asked)
    async with await browse_as(console_app, "olga", Role.OPERATIONS) as olga:
        page = (await olga.get(f"/orders/{order_id}")).text
    assert "<option>cancelled</option>" in page and "<option>installed</option>" in page
    assert 'id="cancel"' not in page  # Operations cancels nothing itself
    async with await browse_as(console_app, "dana", Role.SPECIALIST) as dana:
        assert '<section id="cancel" hidden>' in (await dana.get(f"/orders/{order_id}")).text  # asked already


async def test_a_correction_nested_too_deeply_to_read_is_refused_on_the_page_and_not_sent(
    console_app, services, journeys
):
    order_id = await _order(console_app, journeys, through=Stage.VALIDATED)
    too_deep = '{"note": ' + '{"a": ' * 5000 + "{}" + "}" * 5000 + "}"
    async with await browse_as(console_app, "dana", Role.SPECIALIST) as specialist:
        refused = await specialist.post(f"/orders/{order_id}/correct", data={"patch": too_deep})

    assert refused.status_code == 200
    assert notice(refused.text) == "The correction nests too deeply to be a correction of an order"
    assert not [call for call in services.calls if call.method == "PATCH"]


async def test_a_specialist_opens_a_service_request_and_marks_it_done_through_intake(console_app, services, journeys):
    order_id = await _order(console_app, journeys, through=Stage.VALIDATED)
    requests = f"/intake/orders/{order_id}/service-requests"
    review = {
        "id": "SR-1",
        "orderId": order_id,
        "title": "Engineering review",
        "department": "engineering",
        "owner": "network-engineering",
        "description": "check the fibre route",
        "dueAt": "2026-12-03T14:00:00Z",
        "status": "open",
        "changedBy": "dana",
        "overdue": False,
    }
    kind = {"title": "Engineering review", "department": "engineering", "due_in_business_days": 3}
    services.answer("GET", "/intake/service-request-kinds", {"engineering-review": kind})
    services.answer("GET", requests, [review])
    services.answer("POST", requests, review, status=201)
    services.answer("PATCH", "/intake/service-requests/SR-1", review | {"status": "done"})
    async with await browse_as(console_app, "dana", Role.SPECIALIST) as dana:
        page = (await dana.get(f"/orders/{order_id}")).text
        assert "Engineering review SR-1 for network-engineering (engineering), due 2026-12-03 14:00 UTC" in page
        assert "Open the request" in page and "Mark done" in page
        opened = await dana.post(
            f"/orders/{order_id}/service-requests",
            data={"kind": "engineering-review", "description": " check the fibre route ", "owner": ""},
        )
        assert notice(opened.text) == (
            "Opened Engineering review SR-1 for network-engineering, due 2026-12-03T14:00:00Z."
        )
        asked = services.posted(requests)
        assert (asked.caller, asked.body) == (
            "dana",
            {"kind": "engineering-review", "description": "check the fibre route", "owner": None},
        )
        done = await dana.post(f"/orders/{order_id}/service-requests/SR-1", data={"status": "done", "note": "fine"})
        assert notice(done.text) == "Engineering review SR-1 is done."
        [changed] = [call for call in services.calls if call.method == "PATCH"]
        assert (changed.path, changed.caller, changed.body) == (
            "/intake/service-requests/SR-1",
            "dana",
            {"status": "done", "note": "fine"},
        )
    async with await browse_as(console_app, "sam", Role.SALES_MANAGER) as manager:
        page = (await manager.get(f"/orders/{order_id}")).text
    assert "SR-1" in page and "Open the request" not in page and "Mark done" not in page

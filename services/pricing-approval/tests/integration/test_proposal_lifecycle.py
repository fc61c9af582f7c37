"""The proposal through the API: sent, accepted by a contact named on the order, declined or expired; an order
without a signed agreement is handed on only once its proposal is accepted."""

from datetime import UTC, datetime, timedelta

import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.pricing_approval import OrderApproved
from pricing_approval.proposal_lifecycle import expire_proposals

from ..builders import internet_order
from .conftest import RULES, cancel, outbox_events, price, signed_in

pytestmark = pytest.mark.integration


def _today():
    return RULES.calendar.day_of(datetime.now(UTC))


def _fallouts(events, kind: FalloutKind) -> list[OrderFallout]:
    return [event for event in events if isinstance(event, OrderFallout) and event.kind is kind]


def _codes(fallout: OrderFallout) -> list[str]:
    return [finding.reason_code for finding in fallout.findings]


@pytest.fixture
def rep(api):
    return signed_in(api, "rep-007", Role.SALES_REP)


async def _send(api, order_id: str, headers) -> dict:
    sent = await api.post(f"/pricing/orders/{order_id}/proposal/send", json={}, headers=headers)
    assert sent.status_code == 200, sent.text
    return sent.json()


async def test_an_unsigned_new_order_waits_for_the_signature_and_is_approved_with_the_signed_date(api, database, rep):
    await price(database, internet_order("PO-SIGN", signed_date=None))

    [pending] = _fallouts(await outbox_events(database), FalloutKind.PENDING)
    assert (pending.stage, _codes(pending)) == ("priced", ["AGREEMENT_UNSIGNED"])
    assert not [event for event in await outbox_events(database) if isinstance(event, OrderApproved)]
    assert (await api.get("/pricing/orders/PO-SIGN", headers=rep)).json()["status"] == "awaiting-signature"
    proposal = (await api.get("/pricing/orders/PO-SIGN/proposal", headers=rep)).json()
    assert (proposal["state"], proposal["signatureRequired"], proposal["sentAt"]) == ("draft", True, None)
    early = await api.post(
        "/pricing/orders/PO-SIGN/proposal/accept",
        json={"signedBy": "Priya Raman", "signedOn": str(_today())},
        headers=rep,
    )
    assert early.status_code == 409
    assert "is a draft: send it to the customer first" in early.json()["detail"]

    sent = await _send(api, "PO-SIGN", rep)
    assert (sent["state"], sent["sentBy"], sent["expiresOn"]) == ("sent", "rep-007", str(_today() + timedelta(30)))
    accepted = await api.post(
        "/pricing/orders/PO-SIGN/proposal/accept",
        json={"signedBy": "priya raman", "signedOn": str(_today())},
        headers=rep,
    )
    assert accepted.status_code == 200, accepted.text
    view = accepted.json()
    assert (view["state"], view["signedBy"], view["signedOn"], view["decidedBy"]) == (
        "accepted",
        "Priya Raman",
        str(_today()),
        "rep-007",
    )

    events = await outbox_events(database)
    [approved] = [event for event in events if isinstance(event, OrderApproved)]
    assert (approved.order.agreement.signed_date, approved.order.agreement.signed_by) == (_today(), "Priya Raman")
    [released] = _fallouts(events, FalloutKind.RELEASED)
    assert (released.stage, _codes(released)) == ("priced", ["AGREEMENT_UNSIGNED"])
    assert (await api.get("/pricing/orders/PO-SIGN", headers=rep)).json()["status"] == "approved"


async def test_an_unsigned_order_needing_a_discount_approval_waits_for_both_in_either_order(api, database, rep):
    await price(database, internet_order("PO-BOTH", discount="25", signed_date=None))
    [asked] = _fallouts(await outbox_events(database), FalloutKind.PENDING)
    assert _codes(asked) == ["PRICING_APPROVAL_REQUIRED", "AGREEMENT_UNSIGNED"]

    director = signed_in(api, "dana-director", Role.SALES_DIRECTOR)
    [request] = (await api.get("/pricing/approvals", headers=director)).json()
    assert (await api.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=director)).status_code == 200

    _, still = _fallouts(await outbox_events(database), FalloutKind.PENDING)
    assert _codes(still) == ["AGREEMENT_UNSIGNED"], "the approval is granted; the signature is still missing"
    assert (await api.get("/pricing/orders/PO-BOTH", headers=rep)).json()["status"] == "awaiting-signature"

    await _send(api, "PO-BOTH", rep)
    signed = {"signedBy": "Priya Raman", "signedOn": str(_today())}
    assert (await api.post("/pricing/orders/PO-BOTH/proposal/accept", json=signed, headers=rep)).status_code == 200
    events = await outbox_events(database)
    [approved] = [event for event in events if isinstance(event, OrderApproved)]
    assert [(grant.role, grant.approver) for grant in approved.approvals] == [("sales_director", "dana-director")]
    assert approved.order.agreement.signed_by == "Priya Raman"
    [released] = _fallouts(events, FalloutKind.RELEASED)
    assert _codes(released) == ["PRICING_APPROVAL_REQUIRED", "AGREEMENT_UNSIGNED"]


async def test_an_acceptance_by_someone_not_on_the_order_or_dated_tomorrow_is_a_422_at_the_field(api, database, rep):
    await price(database, internet_order("PO-WHO", signed_date=None))
    await _send(api, "PO-WHO", rep)

    stranger = await api.post(
        "/pricing/orders/PO-WHO/proposal/accept",
        json={"signedBy": "Dana Smith", "signedOn": str(_today())},
        headers=rep,
    )
    assert stranger.status_code == 422
    assert stranger.headers["content-type"] == "application/problem+json"
    assert stranger.json()["invalid_params"] == [
        {
            "field": "signedBy",
            "reason": "Dana Smith is not a contact named on order PO-WHO; its contacts are Priya Raman",
        }
    ]
    tomorrow = await api.post(
        "/pricing/orders/PO-WHO/proposal/accept",
        json={"signedBy": "Priya Raman", "signedOn": str(_today() + timedelta(days=1))},
        headers=rep,
    )
    assert tomorrow.status_code == 422
    assert [problem["field"] for problem in tomorrow.json()["invalid_params"]] == ["signedOn"]
    assert (await api.get("/pricing/orders/PO-WHO/proposal", headers=rep)).json()["state"] == "sent"
    assert not [event for event in await outbox_events(database) if isinstance(event, OrderApproved)]


async def test_a_declined_proposal_rejects_the_order_and_withdraws_its_open_approvals(api, database, rep):
    await price(database, internet_order("PO-NO", discount="25", signed_date=None))
    await _send(api, "PO-NO", rep)

    declined = await api.post(
        "/pricing/orders/PO-NO/proposal/decline", json={"reason": "budget frozen until Q3"}, headers=rep
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["state"], declined.json()["declinedReason"]) == ("declined", "budget frozen until Q3")

    [rejected] = _fallouts(await outbox_events(database), FalloutKind.REJECTED)
    [finding] = rejected.findings
    assert (rejected.stage, finding.reason_code) == ("priced", "PROPOSAL_DECLINED")
    assert finding.message == "the customer declined the proposal: budget frozen until Q3"
    assert finding.fix == "Revise the order with the customer and resubmit it, or cancel it."
    quote = (await api.get("/pricing/orders/PO-NO", headers=rep)).json()
    assert (quote["status"], quote["approvals"][0]["status"]) == ("rejected", "withdrawn")
    again = await api.post("/pricing/orders/PO-NO/proposal/send", json={}, headers=rep)
    assert again.status_code == 409
    assert (
        again.json()["detail"] == "order PO-NO was rejected: the customer declined the proposal: budget frozen until Q3"
    )


async def test_an_expired_proposal_puts_the_order_pending_proposal_expired_once_until_it_is_sent_again(
    api, database, rep
):
    await price(database, internet_order("PO-LAPSE", signed_date=None))
    expires_on = (await _send(api, "PO-LAPSE", rep))["expiresOn"]
    day_after = datetime.fromisoformat(expires_on).date() + timedelta(days=1)

    for today in (day_after - timedelta(days=1), day_after, day_after + timedelta(days=5)):
        async with database.unit_of_work() as uow:
            await expire_proposals(uow, now=datetime.now(UTC), today=today)

    pending = _fallouts(await outbox_events(database), FalloutKind.PENDING)
    assert [_codes(fallout) for fallout in pending] == [["AGREEMENT_UNSIGNED"], ["PROPOSAL_EXPIRED"]]
    assert pending[-1].findings[0].fix.startswith("Re-send the proposal")
    assert (await api.get("/pricing/orders/PO-LAPSE/proposal", headers=rep)).json()["state"] == "expired"

    resent = await _send(api, "PO-LAPSE", signed_in(api, "sam-specialist", Role.SPECIALIST))
    assert (resent["state"], resent["sentBy"]) == ("sent", "sam-specialist")
    latest = _fallouts(await outbox_events(database), FalloutKind.PENDING)[-1]
    assert _codes(latest) == ["AGREEMENT_UNSIGNED"]


async def test_a_cancelled_orders_proposal_neither_expires_nor_is_sent_and_strangers_are_refused(api, database, rep):
    await price(database, internet_order("PO-STOP", signed_date=None))
    await _send(api, "PO-STOP", rep)
    stranger = await api.post(
        "/pricing/orders/PO-STOP/proposal/send", json={}, headers=signed_in(api, "rep-009", Role.SALES_REP)
    )
    assert (stranger.status_code, stranger.json()["detail"]) == (404, "order PO-STOP has not been priced")

    await cancel(database, "PO-STOP", reason="the customer moved offices")
    async with database.unit_of_work() as uow:
        assert await expire_proposals(uow, now=datetime.now(UTC), today=_today() + timedelta(days=90)) == 0
    late = await api.post("/pricing/orders/PO-STOP/proposal/send", json={}, headers=rep)
    assert late.status_code == 409
    assert late.json()["detail"] == "order PO-STOP was cancelled: the customer moved offices"
    assert (await api.get("/pricing/orders/PO-STOP", headers=rep)).json()["status"] == "cancelled"


async def test_an_order_carrying_a_signed_contract_is_approved_at_once_and_its_proposal_is_only_a_record(
    api, database, rep
):
    await price(database, internet_order("PO-CRM"))
    assert [type(event).__name__ for event in await outbox_events(database)] == ["OrderPriced", "OrderApproved"]

    await _send(api, "PO-CRM", rep)
    signed = {"signedBy": "Priya Raman", "signedOn": str(_today())}
    assert (await api.post("/pricing/orders/PO-CRM/proposal/accept", json=signed, headers=rep)).status_code == 200
    assert len(await outbox_events(database)) == 2, "the order went on already: nothing more is announced"
    declined = await api.post("/pricing/orders/PO-CRM/proposal/decline", json={"reason": "no"}, headers=rep)
    assert declined.status_code == 409

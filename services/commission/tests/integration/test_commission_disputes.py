"""A rep's dispute of their commission, on commission's real schema and through the API as a rep and a
commission analyst use it: opened, decided, listed, kept from other reps, closed after 180 days."""

from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from commission.handlers import follow_operations, ratify_order
from orderdesk_shared.auth import Role
from services.commission.tests.builders import handed_off
from services.commission.tests.integration.conftest import bearer
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


async def dispute(client: httpx.AsyncClient, order_id: str, rep: dict[str, str], claim: str) -> httpx.Response:
    """A rep disputes their commission on an order."""
    return await client.post(f"/commission/orders/{order_id}/disputes", json={"claim": claim}, headers=rep)


async def opened_dispute(client: httpx.AsyncClient, order_id: str, rep: dict[str, str], claim: str) -> str:
    """The id of the dispute a rep opens (the API accepts it)."""
    opened = await dispute(client, order_id, rep, claim)
    assert opened.status_code == 201, opened.text
    return opened.json()["disputeId"]


async def test_an_approved_dispute_is_an_adjustment_in_the_reps_next_statement(database, api):
    client, calendar = api
    order_id = await ratified_order(database)
    await handle(database, follow_operations, installed(order_id, DAY))
    rep = bearer("rep-001", Role.SALES_REP)
    calendar.day = DAY + timedelta(days=20)
    dispute_id = await opened_dispute(client, order_id, rep, "the second site was missed")

    calendar.day = date(2026, 12, 3)
    decided = await client.post(
        f"/commission/disputes/{dispute_id}/decision",
        json={"decision": "approve", "reason": "site 2 confirmed on the contract", "adjustment": "150.00"},
        headers=ANALYST,
    )
    assert decided.status_code == 200, decided.text
    assert [(h["actor"], h["action"]) for h in decided.json()["history"]] == [
        ("rep-001", "opened"),
        ("carla", "approved"),
    ]

    statement = await client.get(
        "/commission/reps/rep-001/statement", params={"from": "2026-12-01", "to": "2026-12-31"}, headers=rep
    )
    assert statement.status_code == 200, statement.text
    [adjustment] = [e for e in statement.json()["entries"] if e["orderId"] == order_id]
    assert (adjustment["kind"], adjustment["payableChange"], adjustment["disputeId"]) == (
        "dispute",
        "150.00",
        dispute_id,
    )
    november = await client.get(
        "/commission/reps/rep-001/statement", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=rep
    )
    assert all(e["kind"] != "dispute" for e in november.json()["entries"] if e["orderId"] == order_id)
    closing = statement.json()["closing"]
    assert Decimal(closing["payable"]) == Decimal(november.json()["closing"]["payable"]) + Decimal(
        sum(Decimal(e["payableChange"]) for e in statement.json()["entries"])
    )

    again = await client.post(
        f"/commission/disputes/{dispute_id}/decision", json={"decision": "reject", "reason": "late"}, headers=ANALYST
    )
    assert again.status_code == 409


async def test_a_rejected_dispute_changes_nothing_and_an_approval_needs_an_adjustment(database, api):
    client, calendar = api
    order_id = await ratified_order(database)
    calendar.day = DAY
    rep = bearer("rep-001", Role.SALES_REP)
    dispute_id = await opened_dispute(client, order_id, rep, "should be new logo")
    no_amount = await client.post(
        f"/commission/disputes/{dispute_id}/decision", json={"decision": "approve", "reason": "ok"}, headers=ANALYST
    )
    assert (no_amount.status_code, no_amount.headers["content-type"]) == (422, "application/problem+json")
    assert no_amount.json()["invalid_params"] == [
        {"field": "adjustment", "reason": "an approval needs a non-zero adjustment"}
    ]
    rejected = await client.post(
        f"/commission/disputes/{dispute_id}/decision",
        json={"decision": "reject", "reason": "ACC was an existing account"},
        headers=ANALYST,
    )
    assert rejected.json()["state"] == "rejected"
    assert balances(await commission_of(api, order_id)) == (Decimal("1000.00"), Decimal(0))


async def test_the_open_disputes_queue_shows_analysts_every_rep_and_a_rep_their_own(database, api):
    client, calendar = api
    first, second = new_id(), new_id()
    for order_id, rep_id in ((first, "rep-001"), (second, "rep-002")):
        await handle(
            database, ratify_order, handed_off(order_id, account=new_account(), reps=((rep_id, "100"),)), today=DAY
        )
    calendar.day = DAY + timedelta(days=3)
    opened = {
        order_id: await opened_dispute(client, order_id, bearer(rep, Role.SALES_REP), "missed a site")
        for order_id, rep in ((first, "rep-001"), (second, "rep-002"))
    }

    async def queue(headers: dict, **params: str) -> dict[str, dict]:
        listed = await client.get("/commission/disputes", params=params, headers=headers)
        assert listed.status_code == 200, listed.text
        return {dispute["orderId"]: dispute for dispute in listed.json() if dispute["orderId"] in opened}

    seen = await queue(ANALYST)
    assert {order_id: (d["disputeId"], d["repId"], d["state"]) for order_id, d in seen.items()} == {
        first: (opened[first], "rep-001", "open"),
        second: (opened[second], "rep-002", "open"),
    }
    assert seen[first]["claim"] == "missed a site"
    assert set(await queue(bearer("rep-002", Role.SALES_REP))) == {second}

    await client.post(
        f"/commission/disputes/{opened[first]}/decision",
        json={"decision": "reject", "reason": "both sites were counted"},
        headers=ANALYST,
    )
    assert set(await queue(ANALYST)) == {second}
    assert set(await queue(ANALYST, state="rejected")) == {first}
    unknown = await client.get("/commission/disputes", params={"state": "closed"}, headers=ANALYST)
    assert unknown.status_code == 422


async def test_a_rep_can_neither_see_nor_dispute_another_reps_commission(database, api):
    client, calendar = api
    order_id = await ratified_order(database)
    calendar.day = DAY
    other = bearer("rep-002", Role.SALES_REP)
    assert (await client.get(f"/commission/orders/{order_id}", headers=other)).status_code == 404
    disputed = await dispute(client, order_id, other, "mine")
    assert disputed.status_code == 404
    statement = await client.get(
        "/commission/reps/rep-001/statement", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=other
    )
    assert (statement.status_code, statement.headers["content-type"]) == (403, "application/problem+json")
    assert (await client.get(f"/commission/orders/{order_id}", headers=ANALYST)).status_code == 200


async def test_disputes_close_180_days_after_ratification(database, api):
    client, calendar = api
    order_id = await ratified_order(database)
    rep = bearer("rep-001", Role.SALES_REP)
    calendar.day = DAY + timedelta(days=181)
    late = await dispute(client, order_id, rep, "x")
    assert late.status_code == 409
    assert "180 days" in late.json()["detail"]
    calendar.day = DAY + timedelta(days=180)
    assert (await dispute(client, order_id, rep, "x")).status_code == 201

"""Status notifications on a running stack, read from its SMTP sink as the real messages: a rep hears of their order
being rejected (with the findings), approved, handed off and installed, once per event, the customer contact of the
hand-off and the installation; a rep who asked for no status mail hears nothing."""

import asyncio
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from console.mail_sender import DEDUPE_KEY_HEADER
from orderdesk_shared.auth import Role
from orderdesk_shared.roster import read_roster
from orderdesk_stack.paths import repo_root
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer
from tests.e2e.order_journeys import gigabit_internet_order, operations_report, until_state

pytestmark = pytest.mark.e2e

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
ROSTER, _ = read_roster((repo_root() / "services/commission/reference/roster.v1.csv").read_text())
# Long enough for the console's mail sender to send anything more it was going to (it looks every 2 s).
QUIET_SECONDS = 6


def _order_by(reps: dict[str, int], *, seed: int) -> dict:
    """A 1 Gbps Internet order sold by `reps` (rep id: split percent), its customer contact kept."""
    body = gigabit_internet_order(discount_percent=5, seed=seed)
    others = [party for party in body["relatedParty"] if party["role"] != "salesRep"]
    body["relatedParty"] = others + [
        {"role": "salesRep", "id": rep_id, "splitPercent": split} for rep_id, split in reps.items()
    ]
    return body


def _contact_email(body: dict) -> str:
    return next(party["email"] for party in body["relatedParty"] if party["role"] == "contact")


async def _mail_about(stack, order_id: str) -> list[EmailMessage]:
    return [
        message
        for message in stack.mail_sink.delivered()
        if order_id in message.get_body(("plain",)).get_content() or order_id in message["Subject"]
    ]


def _about(messages: list[EmailMessage], recipient: str) -> list[EmailMessage]:
    return [message for message in messages if message["To"] == recipient]


async def test_a_rep_gets_one_mail_per_event_of_their_order_and_the_rejection_names_the_findings(
    stack, intake, services, people
):
    rep_id, today = "rep-101", datetime.now(UTC).date()
    rep, specialist = bearer(stack, rep_id, Role.SALES_REP), people["specialist"]
    rep_email = ROSTER[rep_id].email
    body = _order_by({rep_id: 90}, seed=2201)
    customer = _contact_email(body)

    rejected = (await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)).json()
    assert rejected["state"] == "rejected", rejected
    order_id = rejected["id"]
    [mail] = await eventually(
        lambda: _mail_about(stack, order_id), what=f"the rejection of {order_id} mailed to {rep_email}"
    )
    account = (await services["console"].get(f"/console/orders/{order_id}", headers=rep)).json()["account"]
    named = f"Order {order_id} ({body['externalId']}) for {account}"
    assert (mail["To"], mail["Subject"]) == (rep_email, f"{named} was rejected")
    text = mail.get_body(("plain",)).get_content()
    assert f"Hello {ROSTER[rep_id].name}," in text
    for finding in rejected["findings"]:
        assert finding["reasonCode"] in text and finding["message"] in text
    assert "How to fix:" in text
    assert f"/console/notification-preferences/{rep_email}" in text

    fixed = {"relatedParty": _order_by({rep_id: 100}, seed=2201)["relatedParty"]}
    corrected = await intake.patch(f"{PRODUCT_ORDER_PATH}/{order_id}", json=fixed, headers=specialist | MERGE_PATCH)
    assert corrected.status_code == 200, corrected.text
    await until_state(intake, order_id, rep, "inProgress", stage="ratified")
    for status, details in (("accepted", {}), ("installed", {"effectiveDate": str(today)})):
        response = await operations_report(
            services["fulfillment-handoff"], order_id, people["operations"], status, **details
        )
        assert response.status_code == 202, response.text
    await until_state(intake, order_id, rep, "completed")

    rep_subjects = ["was rejected", "was approved", "was handed off to Operations", "was installed"]
    await eventually(
        lambda: _mail_about(stack, order_id),
        lambda messages: len(_about(messages, rep_email)) >= len(rep_subjects) and len(_about(messages, customer)) >= 2,
        what=f"the mail about {order_id}",
    )
    await asyncio.sleep(QUIET_SECONDS)
    messages = await _mail_about(stack, order_id)

    per_event = Counter(message[DEDUPE_KEY_HEADER] for message in messages)
    assert set(per_event.values()) == {1}, per_event
    assert [message["Subject"] for message in _about(messages, rep_email)] == [
        f"{named} {happened}" for happened in rep_subjects
    ]
    assert [message["Subject"] for message in _about(messages, customer)] == [
        f"Your order {body['externalId']} was handed off to Operations",
        f"Your order {body['externalId']} was installed",
    ]
    assert {message["To"] for message in messages} == {rep_email, customer}


async def test_a_rep_who_asked_for_no_status_mail_gets_none_while_the_other_rep_does(stack, intake, services):
    quiet_id, other_id = "rep-102", "rep-103"
    quiet, console = bearer(stack, quiet_id, Role.SALES_REP), services["console"]
    quiet_email, other_email = ROSTER[quiet_id].email, ROSTER[other_id].email
    preferences = f"/console/notification-preferences/{quiet_email}"

    refused = await console.put(
        f"/console/notification-preferences/{other_email}", json={"statusMail": False}, headers=quiet
    )
    assert refused.status_code == 403, refused.text
    assert (await console.get(preferences, headers=quiet)).json()["statusMail"] is True
    unsubscribed = await console.put(preferences, json={"statusMail": False}, headers=quiet)
    assert unsubscribed.status_code == 200, unsubscribed.text
    assert (unsubscribed.json()["statusMail"], unsubscribed.json()["changedBy"]) == (False, quiet_id)

    rejected = (
        await intake.post(PRODUCT_ORDER_PATH, json=_order_by({quiet_id: 60, other_id: 30}, seed=2202), headers=quiet)
    ).json()
    assert rejected["state"] == "rejected", rejected
    await eventually(
        lambda: _mail_about(stack, rejected["id"]), what=f"the rejection of {rejected['id']} mailed to {other_email}"
    )
    await asyncio.sleep(QUIET_SECONDS)

    assert [message["To"] for message in await _mail_about(stack, rejected["id"])] == [other_email]

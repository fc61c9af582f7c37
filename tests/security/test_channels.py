"""Intake's channel endpoints on the running stack: only the upstream system each belongs to may post to it.

Salesforce signs in with HTTP Basic, its org id and that org's secret; the CRM, the IVR and the mail gateway each
with a token in its own system role. Whatever else comes is refused, and no order or record is made of it.
"""

import asyncio
import json
import secrets
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from orderdesk_shared.auth import Role
from orderdesk_shared.events.intake import OrderReceived, OrderValidated
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.stack import LOCAL_SALESFORCE_ORG
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).parents[2] / "services" / "intake" / "tests" / "samples"
SOAP = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
INTAKE_TOPICS = (OrderReceived.topic, OrderValidated.topic)


def _outbound_message(opportunity_id: str, org: str = LOCAL_SALESFORCE_ORG) -> bytes:
    message = (SAMPLES / "salesforce_outbound_message.xml").read_bytes()
    return message.replace(b"0065e00000QxV7cAAF", opportunity_id.encode()).replace(
        LOCAL_SALESFORCE_ORG.encode(), org.encode()
    )


async def _stored_nothing_of(stack, intake, external_id: str) -> None:
    """No order with `external_id`, and no record mentioning it on intake's topics."""
    desk = bearer(stack, "dana", Role.SPECIALIST)
    orders = await intake.get(PRODUCT_ORDER_PATH, params={"externalId": external_id}, headers=desk)
    assert orders.status_code == 200 and orders.json() == []
    assert await _records_mentioning(stack.kafka_bootstrap, external_id) == []


async def _records_mentioning(bootstrap: str, text: str) -> list:
    consumer = AIOKafkaConsumer(*INTAKE_TOPICS, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found = []
    try:
        idle_polls = 0
        while idle_polls < 3:  # read to the end of what is there
            batches = await consumer.getmany(timeout_ms=700)
            idle_polls = 0 if batches else idle_polls + 1
            found += [r for records in batches.values() for r in records if text.encode() in (r.value or b"")]
    finally:
        await consumer.stop()
    return found


async def test_an_unauthenticated_salesforce_message_is_refused_and_stores_nothing(stack, intake):
    opportunity_id = f"006{secrets.token_hex(6)}"
    message = _outbound_message(opportunity_id)
    other_org = "00D000000000OTHER"
    attempts = {
        "no credentials": {},
        "wrong secret": {"auth": (LOCAL_SALESFORCE_ORG, stack.salesforce_org_secret[:-1] + "x")},
        "no secret": {"auth": (LOCAL_SALESFORCE_ORG, "")},
        "a bearer token": {"headers": bearer(stack, "dana", Role.SPECIALIST)},
        "unknown org": {"auth": (other_org, stack.salesforce_org_secret)},
    }
    answers = {}
    for name, credentials in attempts.items():
        body = _outbound_message(opportunity_id, other_org) if name == "unknown org" else message
        headers = SOAP | credentials.get("headers", {})
        response = await intake.post(
            "/intake/crm/salesforce", content=body, headers=headers, auth=credentials.get("auth")
        )
        answers[name] = (
            response.status_code,
            response.headers.get("WWW-Authenticate"),
            "<faultstring>" in response.text,
        )

    assert answers == {name: (401, 'Basic realm="salesforce"', True) for name in attempts}
    await asyncio.sleep(1)  # what a wrongly taken message would have published has had time to be
    await _stored_nothing_of(stack, intake, opportunity_id)


async def test_a_signed_in_org_cannot_send_another_orgs_message(stack, intake):
    opportunity_id = f"006{secrets.token_hex(6)}"
    response = await intake.post(
        "/intake/crm/salesforce",
        content=_outbound_message(opportunity_id, "00D000000000OTHER"),
        headers=SOAP,
        auth=(LOCAL_SALESFORCE_ORG, stack.salesforce_org_secret),
    )
    assert response.status_code == 403
    await _stored_nothing_of(stack, intake, opportunity_id)


def _crm_opportunity(opportunity_id: str) -> dict:
    return json.loads((SAMPLES / "crm_opportunity_new_logo.json").read_text()) | {"opportunityId": opportunity_id}


def _ivr_call(call_id: str) -> dict:
    return json.loads((SAMPLES / "ivr_call_disconnect.json").read_text()) | {"callId": call_id}


def _email(message_id: str) -> bytes:
    raw = (SAMPLES / "email_form_in_body.eml").read_bytes()
    return raw.replace(b"<CAF3k9x2Vb7Q1mZ.84116@mail.telco.example>", f"<{message_id}>".encode(), 1)


@pytest.mark.parametrize(
    ("path", "system"),
    [
        ("/intake/crm/opportunities", Role.CRM_SYSTEM),
        ("/intake/ivr/calls", Role.IVR_SYSTEM),
        ("/intake/email", Role.MAIL_GATEWAY),
    ],
    ids=["crm", "ivr", "email"],
)
async def test_a_channel_takes_only_its_own_systems_token(stack, intake, path, system):
    source_id = f"SEC-{secrets.token_hex(6)}"
    others = [role for role in (Role.CRM_SYSTEM, Role.IVR_SYSTEM, Role.MAIL_GATEWAY) if role is not system]
    callers = {
        "a rep": bearer(stack, "rep-004", Role.SALES_REP),
        "a specialist": bearer(stack, "dana", Role.SPECIALIST),
        **{f"the {role}": bearer(stack, "another-system", role) for role in others},
    }
    answers = {}
    for name, headers in callers.items():
        if path == "/intake/email":
            response = await intake.post(
                path, content=_email(source_id), headers=headers | {"Content-Type": "message/rfc822"}
            )
        else:
            document = _crm_opportunity(source_id) if path.startswith("/intake/crm") else _ivr_call(source_id)
            response = await intake.post(path, json=document, headers=headers)
        answers[name] = response.status_code

    assert answers == {name: 403 for name in callers}
    await _stored_nothing_of(stack, intake, source_id)

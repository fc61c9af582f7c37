"""CRM and IVR submissions over HTTP and on their raw topics: one order per source id, bad ones kept."""

import asyncio
import dataclasses
import json
import secrets
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.codec import KafkaRecord, encode
from orderdesk_shared.events.channels import CrmAccountUpdated, EmailReceived, IvrCallReceived
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_stack.kafka_access import OUTSIDE_PRINCIPALS
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.stack import LOCAL_SALESFORCE_ORG
from orderdesk_stack.testing import eventually
from tests.conftest import bearer, first_record_for, publish_as

pytestmark = pytest.mark.e2e


def _channels(order: dict) -> list[str]:
    """The names of the order's channels (TMF622 RelatedChannel: each also has an id)."""
    return [channel["name"] for channel in order["channel"]]


SAMPLES = Path(__file__).parents[2] / "services" / "intake" / "tests" / "samples"


def _sample(name: str, **changes) -> dict:
    return json.loads((SAMPLES / name).read_text()) | changes


async def _publish(stack, *records: KafkaRecord) -> None:
    """Record on the raw topics as the upstream systems do, each logged in as itself."""
    for record in records:
        [upstream] = [principal.name for principal in OUTSIDE_PRINCIPALS if record.topic in principal.writes]
        await publish_as(stack, upstream, record)


async def _submitter(stack, order_id: str) -> str | None:
    """Who the order records as its submitter, as the later stages read it."""
    record = await first_record_for(stack.kafka_admin, OrderValidated.topic, order_id)
    return OrderValidated.model_validate_json(record.value).order.submitted_by


async def _orders_with_external_id(intake, external_id: str, headers: dict) -> list[dict]:
    return (await intake.get(PRODUCT_ORDER_PATH, params={"externalId": external_id}, headers=headers)).json()


async def test_a_crm_opportunity_over_http_is_one_order_however_often_it_is_sent(stack, intake):
    crm = bearer(stack, "crm-integration", Role.CRM_SYSTEM)
    opportunity = _sample("crm_opportunity_new_logo.json", opportunityId=f"006{secrets.token_hex(6)}")
    first = await intake.post("/intake/crm/opportunities", json=opportunity, headers=crm)
    again = await intake.post("/intake/crm/opportunities", json=opportunity, headers=crm)

    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["state"], _channels(first.json())) == ("inProgress", ["crm"])
    specialist = bearer(stack, "dana", Role.SPECIALIST)
    assert len(await _orders_with_external_id(intake, opportunity["opportunityId"], specialist)) == 1
    # The rep who owns the opportunity submitted the order, not "crm": four eyes sees who it was.
    assert await _submitter(stack, first.json()["id"]) == "rep-004"


async def test_a_malformed_crm_document_is_a_problem_with_field_paths(stack, intake):
    crm = bearer(stack, "crm-integration", Role.CRM_SYSTEM)
    response = await intake.post(
        "/intake/crm/opportunities", json=_sample("crm_opportunity_new_logo.json", lineItems=[]), headers=crm
    )
    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["invalid_params"]] == ["lineItems"]


async def test_ivr_calls_on_the_raw_topic_become_orders_once_and_a_bad_record_is_dead_lettered(stack, intake):
    call = IvrCallReceived.model_validate(_sample("ivr_call_disconnect.json", callId=f"IVR-{secrets.token_hex(6)}"))
    record = encode(call, source="ivr-platform")
    bad_value = json.dumps(_sample("ivr_call_disconnect.json", menuPath=["main", "billing"])).encode()
    broken = dataclasses.replace(encode(call, source="ivr-platform"), key="ivr:broken", value=bad_value)
    await _publish(stack, record, record, broken)  # the IVR platform retried

    headers = bearer(stack, "dana", Role.SPECIALIST)
    orders = await eventually(
        lambda: _orders_with_external_id(intake, call.call_id, headers), what="an order from the IVR call", timeout=30
    )
    await asyncio.sleep(1)
    assert len(await _orders_with_external_id(intake, call.call_id, headers)) == 1
    assert orders[0]["orderType"] == "disconnect"
    assert await _submitter(stack, orders[0]["id"]) == f"tel:{call.caller_number}"

    dead = await first_record_for(stack.kafka_admin, IvrCallReceived.topic + ".dlt", "ivr:broken")
    assert "last menu step" in dict(dead.headers)["dlt-reason"].decode()


async def test_a_salesforce_outbound_message_is_acknowledged_and_makes_one_order(stack, intake):
    opportunity_id = f"006{secrets.token_hex(6)}"
    # A new client of the test's own, so that no other order of the session (the same sample, sent by other tests)
    # makes this one a likely duplicate (held); and the agreement signed, so that the order does not wait at pricing
    # for the signature (pending) by the time the test looks, as it once did on a busy machine.
    new_client = {
        "name": "Prairie Logistics LLC",
        "taxId": f"9{secrets.randbelow(10)}-{secrets.randbelow(10**7):07d}",
        "billingAddress": {"street": "1500 W Fulton St", "city": "Chicago", "state": "IL", "postalCode": "60607"},
    }
    message = (
        (SAMPLES / "salesforce_outbound_message.xml")
        .read_bytes()
        .replace(b"0065e00000QxV7cAAF", opportunity_id.encode())
        .replace(
            b'"orderType": "add", "account": {"accountNumber": "ACC-10002"}',
            f'"orderType": "new", "account": {json.dumps(new_client)}'.encode(),
        )
        .replace(b'"termMonths": 36', f'"termMonths": 36, "signedDate": "{date.today().isoformat()}"'.encode())
    )
    soap = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    auth = (LOCAL_SALESFORCE_ORG, stack.salesforce_org_secret)
    for _ in range(2):  # Salesforce resends until it sees the ack
        response = await intake.post("/intake/crm/salesforce", content=message, headers=soap, auth=auth)
        assert response.status_code == 200, response.text
        assert "<Ack>true</Ack>" in response.text
    orders = await _orders_with_external_id(intake, opportunity_id, bearer(stack, "dana", Role.SPECIALIST))
    assert [(_channels(order), order["state"]) for order in orders] == [(["crm"], "inProgress")], orders

    foreign = message.replace(b"00D5e000000DEMOEAA", b"00D000000000OTHER")
    refused = await intake.post("/intake/crm/salesforce", content=foreign, headers=soap, auth=auth)
    assert refused.status_code == 403 and "the message is from 00D000000000OTHER" in refused.text
    garbage = await intake.post("/intake/crm/salesforce", content=b"<oops", headers=soap, auth=auth)
    assert garbage.status_code == 400 and "<faultstring>not well-formed XML" in garbage.text


def _email(name: str) -> bytes:
    """A sample email with a Message-ID of its own, so runs of the suite do not meet each other's orders."""
    raw = (SAMPLES / name).read_bytes()
    return raw.replace(b"Message-ID: <", f"Message-ID: <{secrets.token_hex(4)}.".encode(), 1)


async def test_order_emails_become_orders_once_and_unreadable_parts_hold_them(stack, intake):
    mail = bearer(stack, "mail-gateway", Role.MAIL_GATEWAY) | {"Content-Type": "message/rfc822"}
    form = _email("email_form_in_body.eml")
    first = await intake.post("/intake/email", content=form, headers=mail)
    again = await intake.post("/intake/email", content=form, headers=mail)
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["state"] == "inProgress"
    assert await _submitter(stack, first.json()["id"]) == "daniel.reyes@telco.example"

    broken = (await intake.post("/intake/email", content=_email("email_broken_mime.eml"), headers=mail)).json()
    assert broken["state"] == "pending"
    assert [finding["fieldPath"] for finding in broken["findings"]] == ["attachment[fulton_market_wifi.xlsx]"]

    unreadable = await intake.post("/intake/email", content=_email("email_xlsx_wrong_columns.eml"), headers=mail)
    assert unreadable.status_code == 422
    assert "productOrderItem" in unreadable.json()["detail"]


async def test_an_order_email_on_the_raw_topic_becomes_an_order(stack, intake):
    received = EmailReceived(message=_email("email_with_csv_form.eml").decode())
    await _publish(stack, encode(received, source="mail-gateway"))

    message_id = received.subject.removeprefix("email:")
    headers = bearer(stack, "dana", Role.SPECIALIST)
    orders = await eventually(
        lambda: _orders_with_external_id(intake, message_id, headers), what="an order from the email", timeout=30
    )
    [order] = orders
    assert _channels(order) == ["email"]
    # Validated and passed on; the form's own prices may then wait at pricing for an approver (pending).
    assert order["stage"] != "received"
    assert order["state"] in ("inProgress", "pending")


def _crm_account(number: str, **changes) -> dict:
    return {
        "accountNumber": number,
        "legalName": "Harbor Point Logistics LLC",
        "billingAddress": {"street": "200 E Randolph St", "city": "Chicago", "state": "IL", "postalCode": "60601"},
        "taxId": "36-5550101",
        "market": "CHI",
        "status": "active",
        "modifiedAt": datetime.now(UTC).isoformat(),
    } | changes


def _new_account_number() -> str:
    return f"ACC-{secrets.randbelow(80_000) + 20_000}"  # the seed file's accounts are ACC-1xxxx


async def test_crm_account_records_over_http_are_for_the_crm_and_a_resend_changes_nothing(stack, intake):
    record = _crm_account(_new_account_number())
    crm = bearer(stack, "crm-integration", Role.CRM_SYSTEM)

    as_a_rep = await intake.post("/intake/crm/accounts", json=record, headers=bearer(stack, "rep-001", Role.SALES_REP))
    malformed = await intake.post("/intake/crm/accounts", json=record | {"accountNumber": "10001"}, headers=crm)
    first = await intake.post("/intake/crm/accounts", json=record, headers=crm)
    again = await intake.post("/intake/crm/accounts", json=record, headers=crm)

    assert as_a_rep.status_code == 403
    assert malformed.status_code == 422
    assert [problem["field"] for problem in malformed.json()["invalid_params"]] == ["accountNumber"]
    assert (first.status_code, first.json()["inForce"]) == (200, True)
    assert (again.status_code, again.json()["inForce"]) == (200, False)


async def test_an_account_the_crm_records_on_its_topic_can_be_ordered_for(stack, intake):
    number = _new_account_number()
    specialist = bearer(stack, "dana", Role.SPECIALIST)
    known_before = (await intake.get("/intake/reference", headers=specialist)).json()["accountsFromCrm"]

    await _publish(stack, encode(CrmAccountUpdated.model_validate(_crm_account(number)), source="crm"))

    async def accounts_from_crm():
        return (await intake.get("/intake/reference", headers=specialist)).json()["accountsFromCrm"]

    await eventually(
        accounts_from_crm, lambda seen: seen != known_before, what="intake to take the CRM's account", timeout=30
    )
    generated = next(g for g in generate_orders(20, seed=5, invalid_share=0.0) if g.body["orderType"] == "renewal")
    parties = [
        party | {"id": number} if party["role"] == "customer" else party for party in generated.body["relatedParty"]
    ]
    response = await intake.post(
        PRODUCT_ORDER_PATH,
        json=generated.body | {"relatedParty": parties},
        headers=bearer(stack, generated.submitted_by, Role.SALES_REP),
    )
    assert response.status_code == 201, response.text
    assert (response.json()["state"], response.json().get("findings", [])) == ("inProgress", [])

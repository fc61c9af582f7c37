import base64
from pathlib import Path

import pytest

from intake.channels.salesforce import MalformedMessage, authenticated_org, parse_outbound_message

SAMPLE = (Path(__file__).parents[1] / "samples" / "salesforce_outbound_message.xml").read_bytes()
WITHOUT_ORDER_FIELD = SAMPLE.replace(b"sf:OrderDesk_Order__c>", b"sf:Other__c>")


def test_an_outbound_message_names_its_org_and_carries_the_opportunity():
    organization_id, [opportunity] = parse_outbound_message(SAMPLE)
    assert organization_id == "00D5e000000DEMOEAA"
    assert (opportunity.subject, opportunity.line_items[0].product_code) == ("crm:0065e00000QxV7cAAF:v2", "SIP-TRUNK")


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (b"<not-xml", "not well-formed XML"),
        (b"<?xml version='1.0'?><a/>", "not a Salesforce Outbound Message"),
        (WITHOUT_ORDER_FIELD, "has no OrderDesk_Order__c"),
        (SAMPLE.replace(b'"lineItems": [', b'"lineItems": [], "x": ['), "lineItems"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "not well-formed XML"),
    ],
    ids=["not xml", "not outbound", "no order field", "invalid order", "entity expansion"],
)  # fmt: skip
def test_an_unreadable_message_is_refused_with_the_reason(message, reason):
    with pytest.raises(MalformedMessage, match=reason):
        parse_outbound_message(message)


ORG, SECRET = "00D5e000000DEMOEAA", "a-salesforce-secret-long-enough"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_an_org_signs_in_with_its_own_secret():
    assert authenticated_org(_basic(ORG, SECRET), {ORG: SECRET}) == ORG


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        f"Bearer {SECRET}",
        _basic(ORG, SECRET + "x"),
        _basic("00D000000000OTHER", SECRET),
        "Basic !!",
        _basic(ORG, ""),
    ],
    ids=["none", "empty", "bearer", "wrong secret", "unknown org", "not base64", "no secret"],
)
def test_a_sender_without_its_orgs_secret_is_not_signed_in(authorization):
    assert authenticated_org(authorization, {ORG: SECRET}) is None


def test_no_org_signs_in_where_none_is_configured():
    assert authenticated_org(_basic(ORG, SECRET), {}) is None

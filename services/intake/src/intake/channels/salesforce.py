"""Salesforce Outbound Messages: SOAP notifications about won Opportunities, and the ack Salesforce expects.

An Outbound Message carries an sObject's fields, not its line items, so the org's workflow sends the
order document in the custom field `OrderDesk_Order__c` (the JSON of a CrmOpportunitySubmitted).
Salesforce resends a notification until it gets `<Ack>true</Ack>`; a resend is the same order.
The org signs in with HTTP Basic (its endpoint URL carries the org id as user name and the org's secret).
"""

import base64
import binascii
import hmac
from collections.abc import Mapping
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from pydantic import ValidationError

from orderdesk_shared.events.channels import CrmOpportunitySubmitted
from orderdesk_shared.field_problems import described, field_problems

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND = "http://soap.sforce.com/2005/09/outbound"
SOBJECT = "urn:sobject.enterprise.soap.sforce.com"
ORDER_FIELD = "OrderDesk_Order__c"
CONTENT_TYPE = "text/xml; charset=utf-8"

ACK = (
    f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP}"><soapenv:Body>'
    f'<notificationsResponse xmlns="{OUTBOUND}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)


class MalformedMessage(ValueError):
    """The message is not an Outbound Message this endpoint can take; the reason says why."""


def fault(reason: str) -> str:
    """A SOAP 1.1 fault: Salesforce shows it in its outbound message queue and retries later."""
    escaped = reason.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP}"><soapenv:Body>'
        f"<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>{escaped}</faultstring></soapenv:Fault>"
        "</soapenv:Body></soapenv:Envelope>"
    )


def authenticated_org(authorization: str | None, org_secrets: Mapping[str, str]) -> str | None:
    """The org the HTTP Basic credentials sign in, or None: missing, malformed, unknown org or wrong secret."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        organization_id, separator, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    expected = org_secrets.get(organization_id)
    # Compared in constant time, and compared even for an unknown org, so timing tells no org ids either.
    matches = hmac.compare_digest(secret.encode(), (expected or secret + "-").encode())
    return organization_id if separator and expected is not None and matches else None


def parse_outbound_message(xml: bytes) -> tuple[str, list[CrmOpportunitySubmitted]]:
    """The sending org's id and the opportunities the message notifies; MalformedMessage when unreadable."""
    try:
        envelope = ElementTree.fromstring(xml)
    except Exception as error:  # defusedxml raises parse errors and its own refusals (entities, DTDs)
        raise MalformedMessage(f"not well-formed XML: {error}") from error
    notifications = envelope.find(f"{{{SOAP}}}Body/{{{OUTBOUND}}}notifications")
    if notifications is None:
        raise MalformedMessage("no soapenv:Body/notifications element: not a Salesforce Outbound Message")
    organization_id = _text(notifications, "OrganizationId")
    opportunities = [
        _opportunity(index, notification) for index, notification in enumerate(_notifications(notifications))
    ]
    if not opportunities:
        raise MalformedMessage("the message holds no Notification")
    return organization_id, opportunities


def _notifications(notifications: Element) -> list[Element]:
    return notifications.findall(f"{{{OUTBOUND}}}Notification")


def _opportunity(index: int, notification: Element) -> CrmOpportunitySubmitted:
    sobject = notification.find(f"{{{OUTBOUND}}}sObject")
    if sobject is None:
        raise MalformedMessage(f"Notification[{index}] has no sObject")
    document = sobject.findtext(f"{{{SOBJECT}}}{ORDER_FIELD}")
    if not document:
        raise MalformedMessage(f"Notification[{index}]: the Opportunity has no {ORDER_FIELD} field")
    try:
        return CrmOpportunitySubmitted.model_validate_json(document)
    except ValidationError as error:
        raise MalformedMessage(f"Notification[{index}] {ORDER_FIELD}: {described(field_problems(error))}") from error


def _text(parent: Element, name: str) -> str:
    value = parent.findtext(f"{{{OUTBOUND}}}{name}")
    if not value:
        raise MalformedMessage(f"the message has no {name}")
    return value

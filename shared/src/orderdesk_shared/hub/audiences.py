"""Audience tags: who may hear of a notification (a person, a channel), and what a registrant's subscription may
receive, from what the registrant may read."""

from orderdesk_shared.access import same_person, sees_every_order
from orderdesk_shared.auth import Principal, Role
from orderdesk_shared.events.order import Channel


def person_tag(person: str) -> str:
    return f"person:{same_person(person)}"


def channel_tag(channel: str) -> str:
    return f"channel:{channel}"


def audience_of(principal: Principal) -> str | None:
    """What a registrant's subscription may receive: None for everything (the duties of every role but a sales rep's
    reach every order), the orders through the CRM channel for the CRM, a sales rep's own orders for a sales rep."""
    if sees_every_order(principal):
        return None
    if Role.CRM_SYSTEM in principal.roles:
        return channel_tag(Channel.CRM)
    return person_tag(principal.subject)

"""The event catalogue: every event type, where it is recorded, and every topic, derived from the models."""

from pathlib import Path

from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.channels import (
    CrmAccountUpdated,
    CrmOpportunitySubmitted,
    EmailReceived,
    IvrCallReceived,
)
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified, RosterPublished
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.intake import OrderCorrected, OrderReceived, OrderValidated, ServiceRequestChanged
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.events.pricing_approval import CataloguePublished, OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified

EVENT_MODELS: tuple[type[Fact], ...] = (
    OrderReceived,
    OrderCorrected,
    OrderValidated,
    ServiceRequestChanged,
    ServiceabilityQualified,
    OrderPriced,
    OrderApproved,
    OrderHandedOff,
    HandOffCancelled,
    OrderRatified,
    CommissionAdjusted,
    OrderFallout,
    CataloguePublished,
    RosterPublished,
    OpsOrderStatusChanged,
    CrmOpportunitySubmitted,
    CrmAccountUpdated,
    EmailReceived,
    IvrCallReceived,
)

# The AsyncAPI 3.0 document of every topic, generated from this catalogue (`orderdesk events catalogue`); kept in
# this package so the console serves it wherever the services are installed.
ASYNCAPI_DOCUMENT = Path(__file__).with_name("asyncapi.yaml")

EVENT_TYPES: dict[str, type[Fact]] = {model.event_type: model for model in EVENT_MODELS}

# Raw submissions from upstream systems, before intake turns them into canonical orders.
RAW_INTAKE_TOPICS: tuple[str, ...] = (CrmOpportunitySubmitted.topic, EmailReceived.topic, IvrCallReceived.topic)

DEAD_LETTER_SUFFIX = ".dlt"


def dead_letter_topic(topic: str) -> str:
    return topic + DEAD_LETTER_SUFFIX


def dead_letter_headers(
    *,
    consumer: str,
    topic: str,
    partition: int,
    offset: int,
    error_class: str,
    reason: str,
    replay_topic: str | None = None,
) -> dict[str, str]:
    """What a consumer adds to the headers of a record it dead-letters to `<topic>.dlt`: who failed on which record,
    and why (`dlt-replay-topic` only for a replayed record, read from that replay topic at `partition`/`offset`)."""
    headers = {
        "dlt-consumer": consumer,
        "dlt-original-topic": topic,
        "dlt-original-partition": str(partition),
        "dlt-original-offset": str(offset),
        "dlt-error-class": error_class,
        "dlt-reason": reason,
    }
    return headers | ({"dlt-replay-topic": replay_topic} if replay_topic is not None else {})


REPLAY_SUFFIX = ".replay"
# The header of a replayed record naming the topic it came from (its CloudEvent headers stay as they were).
REPLAY_SOURCE_TOPIC_HEADER = "replay-source-topic"


def replay_topic(consumer: str) -> str:
    """Where a consuming service's SRE replays its dead letters, for its own consumer to read again (its group is
    the service's name): each service writes only topics it owns, so a replay never goes back onto a source topic
    another service owns."""
    return consumer + REPLAY_SUFFIX


def all_topics() -> list[str]:
    """Every topic OrderDesk uses, without dead-letter topics, in a stable order."""
    event_topics = dict.fromkeys(model.topic for model in EVENT_MODELS)
    return list(dict.fromkeys([*RAW_INTAKE_TOPICS, *event_topics]))


def state_topics() -> set[str]:
    """The topics of announcements of what is in force (Fact.announces_state): compacted, not expired."""
    return {model.topic for model in EVENT_MODELS if model.announces_state}


# Who reads an event type that no OrderDesk service consumes (yet): it is not a dead end.
READ_OUTSIDE_THE_SERVICES: dict[type[Fact], str] = {
    OrderHandedOff: "Operations (the hand-off package)",
    HandOffCancelled: "Operations (stop the work on a cancelled order)",
}

# Event types that enter OrderDesk from outside.
PRODUCED_OUTSIDE_THE_SERVICES: dict[type[Fact], str] = {
    OpsOrderStatusChanged: "Operations (also reported through fulfillment-handoff's API)",
    CrmOpportunitySubmitted: "the CRM (also accepted over HTTP by intake)",
    CrmAccountUpdated: "the CRM (also accepted over HTTP by intake)",
    IvrCallReceived: "the IVR platform (also accepted over HTTP by intake)",
    EmailReceived: "the mail gateway (also accepted over HTTP by intake)",
}

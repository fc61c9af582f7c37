"""What the invariant checker holds the run to: which events record an effect once and which may repeat, which
tables hold a decision once, and which TMF622 states end an order or let it wait."""

from dataclasses import dataclass
from typing import Literal, get_args

from orderdesk_shared.events.catalogue import EVENT_MODELS
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
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.events.pricing_approval import CataloguePublished, OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.order_state import STAGE_REACHED_BY

Ending = Literal["ended", "waiting", "dead_lettered", "unaccounted"]
ENDINGS: tuple[Ending, ...] = get_args(Ending)


@dataclass(frozen=True)
class Effect:
    """What one event records once, and what names its one occurrence: `per` is the event's own field that, with the
    order, identifies it (None: its subject alone)."""

    name: str
    per: str | None


# Event types that record a decision taken once: two DIFFERENT event ids for the same identity are the effect twice.
# (The same event id twice is one event: the relay may publish a row again before marking it, and inboxes drop it.)
# A correction is a new version, so "once" is per order version; a ledger line is once per ledger entry; a catalogue
# or roster version is announced once (publication tables stop a restart announcing it again).
ONCE: dict[str, Effect] = {
    OrderReceived.event_type: Effect("received", "orderVersion"),
    OrderCorrected.event_type: Effect("correction", "orderVersion"),
    OrderValidated.event_type: Effect("validation", "orderVersion"),
    ServiceabilityQualified.event_type: Effect("qualification", "orderVersion"),
    OrderPriced.event_type: Effect("quote", "orderVersion"),
    OrderApproved.event_type: Effect("approval", "orderVersion"),
    OrderHandedOff.event_type: Effect("hand-off", "orderVersion"),
    HandOffCancelled.event_type: Effect("stop asked of Operations", "orderVersion"),
    OrderRatified.event_type: Effect("ratification", "orderVersion"),
    CommissionAdjusted.event_type: Effect("ledger line", "ledgerEntry"),
    CataloguePublished.event_type: Effect("catalogue announcement", None),
    RosterPublished.event_type: Effect("roster announcement", None),
}
# Event types that legitimately repeat, and why: nothing is checked on their count.
MAY_REPEAT: dict[str, str] = {
    OrderFallout.event_type: "an order is held and released, put in jeopardy and escalated any number of times",
    OpsOrderStatusChanged.event_type: "Operations reports each step (accepted, scheduled, rescheduled, ...) and may "
    "repeat one",
    CrmOpportunitySubmitted.event_type: "the CRM resends; intake's submissions make a resend the same order",
    CrmAccountUpdated.event_type: "an account record changes over time",
    EmailReceived.event_type: "the mail gateway may deliver a message again; intake keys it by Message-ID",
    IvrCallReceived.event_type: "the IVR platform may send a call again; intake keys it by call id",
    ServiceRequestChanged.event_type: "a service request is opened, taken, reassigned and closed: each change is news",
}


@dataclass(frozen=True)
class StoredEffect:
    """A table whose rows record a decision taken once, though its primary key would not stop a second row."""

    service: str
    table: str
    name: str
    # The columns that name the decision's one occurrence; the first is the order id.
    once_per: tuple[str, ...]


# Tables whose primary key makes a second row impossible (qualifications, quotes, hand-offs, ratifications: one per
# order or order version) cannot show a doubled effect; their effects are counted on the topics above. The ledger's
# unique entry_key names each line, which commission.adjusted announces once per entry.
STORED_ONCE: tuple[StoredEffect, ...] = (
    # An approver decides a pending request once; a request is one per order version and role.
    StoredEffect(
        "pricing-approval",
        "pricing_approval.approval_decisions",
        "approval decision",
        ("order_id", "order_version", "role"),
    ),
)
STAGE_OF_TYPE: dict[str, Stage] = {model.event_type: stage for model, stage in STAGE_REACHED_BY.items()}

# Where an order rests for good; a rejection must say why (the rep corrects the order or lets it go).
ENDED_STATES = frozenset({OrderState.COMPLETED, OrderState.PARTIAL, OrderState.CANCELLED})
NEEDS_A_REASON_TO_END = frozenset({OrderState.REJECTED})
# Where an order waits for the desk or a specialist: only with a reason somebody can act on.
WAITING_FOR_PEOPLE = frozenset({OrderState.HELD, OrderState.PENDING, OrderState.FAILED})
# Where an order waits for Operations: once handed off (installing), or while Operations stops the work.
CANCELLING_STATES = frozenset({OrderState.ASSESSING_CANCELLATION, OrderState.PENDING_CANCELLATION})


def effect_named(event_type: str, subject: str, part: str | None) -> str:
    effect = ONCE[event_type]
    if effect.per == "orderVersion":
        return f"{effect.name} of order {subject} version {part}"
    if effect.per is None:
        return f"{effect.name} {subject}"
    return f"{effect.name} {part} of order {subject}"


def unclassified_event_types() -> list[str]:
    """Event types the checker has no rule for (neither once-only nor allowed to repeat): each needs a decision."""
    known = ONCE.keys() | MAY_REPEAT.keys()
    return sorted(model.event_type for model in EVENT_MODELS if model.event_type not in known)

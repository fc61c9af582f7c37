"""What intake listens to, and what it records."""

from intake.handlers import (
    PROGRESS_EVENTS,
    accept_crm_opportunity,
    accept_ivr_call,
    accept_order_email,
    follow_catalogue,
    follow_crm_account,
    follow_fallout,
    follow_hand_off,
    follow_operations,
    follow_progress,
    follow_roster,
)
from orderdesk_shared.events.channels import (
    CrmAccountUpdated,
    CrmOpportunitySubmitted,
    EmailReceived,
    IvrCallReceived,
)
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.intake import OrderCorrected, OrderReceived, OrderValidated, ServiceRequestChanged
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.events.pricing_approval import CataloguePublished

HANDLERS = {
    CrmOpportunitySubmitted: accept_crm_opportunity,
    CrmAccountUpdated: follow_crm_account,
    IvrCallReceived: accept_ivr_call,
    EmailReceived: accept_order_email,
    **{event_model: follow_progress for event_model in PROGRESS_EVENTS},
    OrderHandedOff: follow_hand_off,
    OrderFallout: follow_fallout,
    OpsOrderStatusChanged: follow_operations,
    CataloguePublished: follow_catalogue,
    RosterPublished: follow_roster,
}
EMITS = (OrderReceived, OrderCorrected, OrderValidated, OrderFallout, ServiceRequestChanged)

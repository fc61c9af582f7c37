"""What the console listens to, and what it records."""

from console.handlers import follow_roster, record_in_timeline
from orderdesk_shared.events.commission import CommissionAdjusted, RosterPublished
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled
from orderdesk_shared.events.intake import ServiceRequestChanged
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.order_state import STAGE_REACHED_BY

HANDLERS = {
    **{event_model: record_in_timeline for event_model in STAGE_REACHED_BY},
    OrderFallout: record_in_timeline,
    OpsOrderStatusChanged: record_in_timeline,
    HandOffCancelled: record_in_timeline,
    CommissionAdjusted: record_in_timeline,
    ServiceRequestChanged: record_in_timeline,
    RosterPublished: follow_roster,
}
EMITS = (OrderFallout,)

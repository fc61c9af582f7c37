"""What fulfillment-handoff listens to, and what it records."""

from fulfillment_handoff.handlers import follow_ops_status, hand_off, stop_cancelled_order, supersede_earlier_version
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.events.pricing_approval import OrderApproved

HANDLERS = {
    OrderApproved: hand_off,
    OpsOrderStatusChanged: follow_ops_status,
    OrderCorrected: supersede_earlier_version,
    OrderFallout: stop_cancelled_order,
}
# Operations' reports made through the API are recorded on ops.order-status.v1 as Operations would.
EMITS = (OrderHandedOff, HandOffCancelled, OrderFallout, OpsOrderStatusChanged)

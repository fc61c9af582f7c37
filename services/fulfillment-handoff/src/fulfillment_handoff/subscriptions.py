"""What fulfillment-handoff listens to, and what it records."""

from fulfillment_handoff.handlers import follow_ops_status, hand_off
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.events.pricing_approval import OrderApproved

HANDLERS = {OrderApproved: hand_off, OpsOrderStatusChanged: follow_ops_status}
EMITS = (OrderHandedOff, OrderFallout)

"""What fulfillment-handoff listens to, and what it records."""

from fulfillment_handoff.handlers import hand_off
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.pricing_approval import OrderApproved

HANDLERS = {OrderApproved: hand_off}
EMITS = (OrderHandedOff,)

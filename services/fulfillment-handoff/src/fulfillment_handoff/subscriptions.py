"""What fulfillment-handoff listens to, and what it records."""

from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.pricing_approval import OrderApproved

from fulfillment_handoff.handlers import hand_off

HANDLERS = {OrderApproved: hand_off}
EMITS = (OrderHandedOff,)

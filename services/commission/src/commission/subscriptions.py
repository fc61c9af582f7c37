"""What commission listens to, and what it records."""

from commission.handlers import ratify_order
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fulfillment import OrderHandedOff

HANDLERS = {OrderHandedOff: ratify_order}
EMITS = (OrderRatified,)

"""What commission listens to, and what it records."""

from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fulfillment import OrderHandedOff

from commission.handlers import ratify_order

HANDLERS = {OrderHandedOff: ratify_order}
EMITS = (OrderRatified,)

"""What commission listens to, and what it records."""

from commission.handlers import follow_operations, ratify_order, remember_corrector, reverse_cancelled_order
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified, RosterPublished
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.operations import OpsOrderStatusChanged

HANDLERS = {
    OrderHandedOff: ratify_order,
    OpsOrderStatusChanged: follow_operations,
    OrderFallout: reverse_cancelled_order,
    OrderCorrected: remember_corrector,
}
EMITS = (OrderRatified, CommissionAdjusted, RosterPublished)

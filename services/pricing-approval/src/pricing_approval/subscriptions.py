"""What pricing-approval listens to, and what it records."""

from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.pricing_approval import CataloguePublished, OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from pricing_approval.handlers import price_order, withdraw_approvals_of_cancelled_order, withdraw_superseded_approvals

HANDLERS = {
    ServiceabilityQualified: price_order,
    OrderCorrected: withdraw_superseded_approvals,
    OrderFallout: withdraw_approvals_of_cancelled_order,
}
EMITS = (OrderPriced, OrderApproved, OrderFallout, CataloguePublished)

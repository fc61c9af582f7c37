"""What pricing-approval listens to, and what it records."""

from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.pricing_approval import CataloguePublished, OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from pricing_approval.handlers import price_order

HANDLERS = {ServiceabilityQualified: price_order}
EMITS = (OrderPriced, OrderApproved, OrderFallout, CataloguePublished)

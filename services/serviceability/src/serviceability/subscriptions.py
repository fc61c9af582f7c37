"""What serviceability listens to, and what it records."""

from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.intake import OrderCorrected, OrderValidated
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from serviceability.handlers import (
    close_surveys_of_cancelled_order,
    close_surveys_of_corrected_versions,
    follow_catalogue,
    qualify_sites,
)

HANDLERS = {
    OrderValidated: qualify_sites,
    OrderFallout: close_surveys_of_cancelled_order,
    OrderCorrected: close_surveys_of_corrected_versions,
    CataloguePublished: follow_catalogue,
}
EMITS = (ServiceabilityQualified, OrderFallout)

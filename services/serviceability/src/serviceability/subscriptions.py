"""What serviceability listens to, and what it records."""

from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from serviceability.handlers import qualify_sites

HANDLERS = {OrderValidated: qualify_sites}
EMITS = (ServiceabilityQualified, OrderFallout)

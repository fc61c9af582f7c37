"""The one place that wires pricing-approval: settings, database, relay, consumer."""

from orderdesk_shared.runtime import ServiceRuntime
from pricing_approval.settings import Settings
from pricing_approval.subscriptions import HANDLERS
from pricing_approval.tables import messaging


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime.build(settings=settings or Settings(), tables=messaging, handlers=HANDLERS)

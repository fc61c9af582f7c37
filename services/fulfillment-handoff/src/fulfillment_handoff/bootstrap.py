"""The one place that wires fulfillment-handoff: settings, database, relay, consumer."""

from fulfillment_handoff.settings import Settings
from fulfillment_handoff.subscriptions import HANDLERS
from fulfillment_handoff.tables import messaging
from orderdesk_shared.runtime import ServiceRuntime


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime.build(settings=settings or Settings(), tables=messaging, handlers=HANDLERS)

"""The one place that wires serviceability: settings, database, relay, consumer."""

from orderdesk_shared.runtime import ServiceRuntime
from serviceability.settings import Settings
from serviceability.subscriptions import HANDLERS
from serviceability.tables import messaging


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime.build(settings=settings or Settings(), tables=messaging, handlers=HANDLERS)

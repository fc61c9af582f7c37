"""The one place that wires commission: settings, database, relay, consumer, roster announcement."""

from commission.publication import publish_roster
from commission.settings import Settings
from commission.subscriptions import HANDLERS
from commission.tables import messaging
from orderdesk_shared.runtime import ServiceRuntime


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime.build(
        settings=settings or Settings(), tables=messaging, handlers=HANDLERS, on_start=[publish_roster]
    )

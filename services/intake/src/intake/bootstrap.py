"""The one place that wires intake: settings, database, relay, consumer."""

from intake.settings import Settings
from intake.subscriptions import HANDLERS
from intake.tables import messaging
from orderdesk_shared.runtime import ServiceRuntime


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime.build(settings=settings or Settings(), tables=messaging, handlers=HANDLERS)

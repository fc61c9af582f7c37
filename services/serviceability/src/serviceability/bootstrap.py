"""The one place that wires serviceability: settings, database, relay, consumer, inventory seed, survey SLA watch,
the delivery of TMF645 notifications."""

from orderdesk_shared.hub import HubDelivery
from orderdesk_shared.runtime import ServiceRuntime
from serviceability.inventory import seed_when_empty
from serviceability.notifications import HUB
from serviceability.settings import Settings
from serviceability.subscriptions import HANDLERS
from serviceability.tables import messaging
from serviceability.watchers import survey_sla_watch


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    return ServiceRuntime.build(
        settings=settings,
        tables=messaging,
        handlers=HANDLERS,
        on_start=[seed_when_empty(settings.seed_inventory)] if settings.seed_empty_inventory else [],
        loops={
            "survey-sla-watch": survey_sla_watch(every_seconds=settings.survey_sla_check_seconds),
            "hub-delivery": HubDelivery(HUB, settings).run,
        },
    )

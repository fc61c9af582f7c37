"""The one place that wires serviceability: settings, rules, clock, database, relay, consumer, inventory seed, survey
SLA watch, the delivery of TMF645 notifications."""

from orderdesk_shared.context import ServiceContext
from orderdesk_shared.hub import HubDelivery
from orderdesk_shared.runtime import ServiceRuntime
from serviceability.inventory import seed_when_empty
from serviceability.notifications import HUB
from serviceability.rules_in_force import load_rules
from serviceability.settings import Settings
from serviceability.subscriptions import HANDLERS
from serviceability.tables import messaging
from serviceability.unit_of_work import ServiceabilityUnitOfWork
from serviceability.watchers import survey_sla_watch


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    context = ServiceContext(rules=load_rules(settings))
    return ServiceRuntime.build(
        settings=settings,
        tables=messaging,
        unit_of_work=ServiceabilityUnitOfWork,
        handlers=HANDLERS,
        context=context,
        on_start=[seed_when_empty(settings.seed_inventory)] if settings.seed_empty_inventory else [],
        loops={
            "survey-sla-watch": survey_sla_watch(every_seconds=settings.survey_sla_check_seconds, clock=context.clock),
            "hub-delivery": HubDelivery(HUB, settings).run,
        },
    )

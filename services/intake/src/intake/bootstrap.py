"""The one place that wires intake: settings, rules, clock, database, relay, consumer, the delivery of TMF622
notifications."""

from intake.notifications import HUB
from intake.rules_in_force import load_rules
from intake.settings import Settings
from intake.subscriptions import HANDLERS
from intake.tables import messaging
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.hub import HubDelivery
from orderdesk_shared.runtime import ServiceRuntime

HUB_DELIVERY = "hub-delivery"


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    return ServiceRuntime.build(
        settings=settings,
        tables=messaging,
        handlers=HANDLERS,
        context=ServiceContext(rules=load_rules(settings)),
        loops={HUB_DELIVERY: HubDelivery(HUB, settings).run},
        unit_of_work=IntakeUnitOfWork,
    )

"""The one place that wires fulfillment-handoff: settings, rules, clock, database, relay, consumer."""

from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings
from fulfillment_handoff.subscriptions import HANDLERS
from fulfillment_handoff.tables import messaging
from fulfillment_handoff.unit_of_work import FulfillmentUnitOfWork
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.runtime import ServiceRuntime


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    context = ServiceContext(rules=load_rules(settings))
    return ServiceRuntime.build(
        settings=settings,
        tables=messaging,
        handlers=HANDLERS,
        context=context,
        unit_of_work=FulfillmentUnitOfWork,
    )

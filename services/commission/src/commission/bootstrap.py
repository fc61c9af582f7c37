"""The one place that wires commission: settings, rules, clock, database, relay, consumer, roster announcement."""

from commission.publication import publish_roster
from commission.rules_in_force import load_rules
from commission.settings import Settings
from commission.subscriptions import HANDLERS
from commission.tables import messaging
from commission.unit_of_work import CommissionUnitOfWork
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.runtime import ServiceRuntime


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    context = ServiceContext(rules=load_rules(settings))
    return ServiceRuntime.build(
        settings=settings,
        tables=messaging,
        unit_of_work=CommissionUnitOfWork,
        handlers=HANDLERS,
        context=context,
        on_start=[with_context(publish_roster, context)],
    )

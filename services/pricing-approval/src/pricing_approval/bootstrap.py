"""The one place that wires pricing-approval: settings, rules, clock, database, relay, consumer, catalogue
announcement, deadline watch."""

from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.runtime import ServiceRuntime
from pricing_approval.publication import publish_catalogue
from pricing_approval.rules_in_force import load_rules
from pricing_approval.settings import Settings
from pricing_approval.sla_watch import deadline_watch
from pricing_approval.subscriptions import HANDLERS
from pricing_approval.tables import messaging
from pricing_approval.unit_of_work import PricingUnitOfWork


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    context = ServiceContext(rules=load_rules(settings))
    return ServiceRuntime.build(
        settings=settings,
        tables=messaging,
        handlers=HANDLERS,
        context=context,
        on_start=[with_context(publish_catalogue, context)],
        unit_of_work=PricingUnitOfWork,
        loops={"deadline-watch": deadline_watch(every_seconds=settings.sla_watch_seconds, context=context)},
    )

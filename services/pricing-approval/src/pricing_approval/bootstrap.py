"""The one place that wires pricing-approval: settings, database, relay, consumer, catalogue announcement, deadline
watch."""

from orderdesk_shared.runtime import ServiceRuntime
from pricing_approval.publication import publish_catalogue
from pricing_approval.rules import pricing_rules
from pricing_approval.settings import Settings
from pricing_approval.sla_watch import deadline_watch
from pricing_approval.subscriptions import HANDLERS
from pricing_approval.tables import messaging


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    watch = deadline_watch(every_seconds=settings.sla_watch_seconds, calendar=pricing_rules().calendar)
    return ServiceRuntime.build(
        settings=settings,
        tables=messaging,
        handlers=HANDLERS,
        on_start=[publish_catalogue],
        loops={"deadline-watch": watch},
    )

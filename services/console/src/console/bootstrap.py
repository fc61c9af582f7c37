"""The one place that wires the console: settings, database, relay, consumer, SLA watch."""

from console.handlers import stage_slas
from console.settings import Settings
from console.sla_watch import stage_sla_watch
from console.subscriptions import HANDLERS
from console.tables import messaging
from orderdesk_shared.runtime import ServiceRuntime


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    return ServiceRuntime.build(
        settings=settings,
        tables=messaging,
        handlers=HANDLERS,
        loops={"stage-sla-watch": stage_sla_watch(policy=stage_slas(), every_seconds=settings.sla_watch_seconds)},
    )

"""The one place that wires the console: settings, database, relay, consumer, SLA watch, live pages."""

from console.handlers import stage_slas
from console.live import OrderChanges
from console.settings import Settings
from console.sla_watch import stage_sla_watch
from console.subscriptions import HANDLERS
from console.tables import messaging
from orderdesk_shared.runtime import ServiceRuntime


def bootstrap(settings: Settings | None = None, *, order_changes: OrderChanges | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    loops = {"stage-sla-watch": stage_sla_watch(policy=stage_slas(), every_seconds=settings.sla_watch_seconds)}
    if order_changes is not None:
        loops["live-order-changes"] = order_changes.listen
    return ServiceRuntime.build(settings=settings, tables=messaging, handlers=HANDLERS, loops=loops)

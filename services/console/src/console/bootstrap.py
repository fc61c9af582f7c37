"""The one place that wires the console: settings, rules, clock, database, relay, consumer, SLA watch, report
schedule watch, mail sender, live pages."""

from console.live import OrderChanges
from console.mail_sender import mail_sender
from console.report_schedule_watch import report_schedule_watch
from console.rules_in_force import load_rules
from console.settings import Settings
from console.sla_watch import stage_sla_watch
from console.subscriptions import HANDLERS
from console.tables import messaging
from console.unit_of_work import ConsoleUnitOfWork
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.runtime import ServiceRuntime


def bootstrap(settings: Settings | None = None, *, order_changes: OrderChanges | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    context = ServiceContext(rules=load_rules(settings))
    loops = {
        "stage-sla-watch": stage_sla_watch(context, every_seconds=settings.sla_watch_seconds),
        "report-schedule-watch": report_schedule_watch(context, every_seconds=settings.report_schedule_watch_seconds),
        "mail-sender": mail_sender(
            context.clock,
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            every_seconds=settings.mail_send_seconds,
        ),
    }
    if order_changes is not None:
        loops["live-order-changes"] = order_changes.listen
    return ServiceRuntime.build(
        settings=settings,
        tables=messaging,
        handlers=HANDLERS,
        context=context,
        loops=loops,
        unit_of_work=ConsoleUnitOfWork,
    )

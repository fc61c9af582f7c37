"""What the console does: keep each event as a timeline line, folded into its order's row; raise jeopardy in time."""

from collections.abc import Sequence
from datetime import datetime

from console.domain.notifications import Notified, notified, status_mails
from console.domain.report_facts import ReportFact, report_fact
from console.domain.sla import RaisedLevel, StageSlaPolicy, alarms, sla_due_at
from console.domain.timeline import Recorded, TimelineEntry, entry_for, fold_on, fold_timeline, follows
from console.rules_in_force import ConsoleRules
from console.unit_of_work import ConsoleUnitOfWork
from orderdesk_shared.consumer import current_delivery
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.intake import ServiceRequestChanged
from orderdesk_shared.telemetry import Traced, order_step


async def record_in_timeline(event: Event, uow: ConsoleUnitOfWork, context: ServiceContext[ConsoleRules]) -> None:
    """Every order event is a timeline line; the order's row is the fold of all its lines, so arrival order is moot.

    The lines of a whole batch are kept, and folded into their orders' rows, together just before the batch commits;
    so are the facts the reports read of them, and the service requests the work queue lists.
    """
    delivery = current_delivery()
    assert delivery is not None, "handlers run inside a delivery"
    recorded = Recorded(
        message_id=delivery.message_id,
        source=delivery.source,
        occurred_at=delivery.time or context.clock(),
        topic=delivery.topic,
        trace_id=delivery.trace_id,
    )
    uow.before_commit(with_context(keep_lines, context), entry_for(event, recorded))
    fact = report_fact(event, message_id=recorded.message_id, occurred_at=recorded.occurred_at)
    if fact is not None:
        uow.before_commit(keep_report_facts, fact)
    if isinstance(event, ServiceRequestChanged):
        uow.before_commit(keep_service_requests, event)


async def keep_lines(
    uow: ConsoleUnitOfWork, lines: Sequence[Traced[TimelineEntry]], context: ServiceContext[ConsoleRules]
) -> None:
    """Keep the lines, then fold them into their orders' rows, one statement a step: on what the rows' fold left
    when they follow it, else (an order's first lines, late news, a line kept before) the whole timeline again; then
    mail the people the lines' news is for."""
    entries = list({line.item.message_id: line.item for line in lines}.values())
    await uow.timelines.add(entries)
    news: dict[str, list[TimelineEntry]] = {}
    for entry in entries:
        news.setdefault(entry.order_id, []).append(entry)
    order_ids = sorted(news)
    await uow.orders.hold(order_ids)
    kept = await uow.orders.folded(order_ids)
    again = {order_id for order_id in order_ids if order_id not in kept or not follows(kept[order_id], news[order_id])}
    # The poll's own lines are in hand: only those kept before are read back (a line kept again, as a rebuild meeting
    # the live consumer does, is the same line: the same event and delivery time).
    in_hand = [entry.message_id for order_id in again for entry in news[order_id]]
    earlier = await uow.timelines.of_orders(sorted(again), besides=in_hand) if again else {}
    folded = [
        fold_timeline([*earlier.get(order_id, []), *news[order_id]])
        if order_id in again
        else fold_on(kept[order_id], news[order_id])
        for order_id in order_ids
    ]
    rows = [(order, sla_due_at(context.rules.slas, vars(order.row))) for order in folded if order is not None]
    await uow.orders.save_folded(rows)
    orders = {order.row.id: order.row for order, _ in rows}
    await notify(uow, notified(context.rules.notifications, entries, orders, now=context.clock()), context.rules)


async def notify(uow: ConsoleUnitOfWork, news: list[Notified], rules: ConsoleRules) -> None:
    """Queue the status mail of the news, one statement a step and none without news: the reps' e-mail addresses,
    the customer contacts' where the policy mails them, who asked for none, the mail."""
    if not news:
        return
    reps = await uow.reps.by_ids({rep_id for notice in news for rep_id in notice.rep_ids})
    for_customers = sorted({notice.order.id for notice in news if notice.notice.customer})
    contacts = await uow.timelines.contact_emails(for_customers) if for_customers else {}
    addresses = {rep.email for rep in reps.values()} | {email for emails in contacts.values() for email in emails}
    unsubscribed = await uow.preferences.unsubscribed(addresses)
    mails = status_mails(news, reps=reps, contacts=contacts, unsubscribed=unsubscribed, console_url=rules.console_url)
    await uow.mail.queue(mails)


async def follow_roster(published: RosterPublished, uow: ConsoleUnitOfWork, context: ServiceContext) -> None:
    """Address status mail, and group reports by team, with the roster commission announced, from now on."""
    await uow.reps.replace(published.reps)


async def keep_report_facts(uow: ConsoleUnitOfWork, facts: Sequence[Traced[ReportFact]]) -> None:
    """Keep the batch's report facts in one statement."""
    await uow.report_facts.add([fact.item for fact in facts])


async def keep_service_requests(uow: ConsoleUnitOfWork, changes: Sequence[Traced[ServiceRequestChanged]]) -> None:
    """Keep the batch's service requests as their latest changes left them, in one statement."""
    await uow.service_requests.keep([change.item for change in changes])


async def raise_jeopardy(uow: ConsoleUnitOfWork, *, now: datetime, policy: StageSlaPolicy) -> int:
    """Put each order whose step has used half, three quarters or all of its SLA in jeopardy, and escalate it up
    the ladder past its SLA: each level and rung once per order version and stage; how many events it recorded.
    Every level due is claimed by one statement, however many open orders have one."""
    in_flight = await uow.orders.in_flight()
    due = [alarms(policy, order, now=now) for order in in_flight]
    claimed = await uow.jeopardy.claim(
        [RaisedLevel.of(order, alarm) for order, levels in zip(in_flight, due, strict=True) for alarm in levels], at=now
    )
    recorded = 0
    for order, levels in zip(in_flight, due, strict=True):
        if raised := [alarm.fallout for alarm in levels if RaisedLevel.of(order, alarm) in claimed]:
            async with order_step(uow, order["id"], "stage SLA run out", version=order["order_version"]):
                for fallout in raised:
                    uow.emit(fallout)
            recorded += len(raised)
    return recorded

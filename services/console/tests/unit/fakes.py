"""The console's unit of work in memory: its repositories with the methods and the semantics handlers rely on (a line
kept before stays as it is, a row keeps its fold, each jeopardy level is claimed once per order version and stage, an
ended order or one without a due time has no clock, a mail is queued once per dedupe key, a service request
stays as its latest change left it); holding orders only tells
the live pages. The integration tests
keep the SQL ones honest."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from console.domain.mail import Mail
from console.domain.report_facts import ReportFact
from console.domain.sla import RaisedLevel
from console.domain.timeline import Folded, OrderRow, TimelineEntry
from console.tables import ENDED_STATES
from orderdesk_shared.events.commission import RosterRep
from orderdesk_shared.events.intake import ServiceRequest, ServiceRequestChanged
from orderdesk_shared.fake_unit_of_work import FakeUnitOfWork


class InMemoryTimelines:
    def __init__(self) -> None:
        self.lines: dict[str, TimelineEntry] = {}

    async def add(self, entries: Sequence[TimelineEntry]) -> None:
        for entry in entries:
            self.lines.setdefault(entry.message_id, entry)

    async def of_orders(
        self, order_ids: Sequence[str], *, besides: Sequence[str] = ()
    ) -> dict[str, list[TimelineEntry]]:
        timelines: dict[str, list[TimelineEntry]] = {}
        for entry in sorted(self.lines.values(), key=lambda line: (line.occurred_at, line.message_id)):
            if entry.order_id in order_ids and entry.message_id not in besides:
                timelines.setdefault(entry.order_id, []).append(entry)
        return timelines

    async def contact_emails(self, order_ids: Sequence[str]) -> dict[str, list[str]]:
        received = sorted(
            (line for line in self.lines.values() if line.order_id in order_ids and line.kind == "received"),
            key=lambda line: line.order_version,
        )
        return {line.order_id: line.order["contactEmails"] for line in received}


class InMemoryOrders:
    """Order rows as the pages read them (`rows`), with the fold each was kept from."""

    def __init__(self, live_pages: "InMemoryLivePages") -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.folds: dict[str, Folded] = {}
        self._live_pages = live_pages

    async def hold(self, order_ids: Sequence[str]) -> None:
        await self._live_pages.announce(order_ids)

    async def folded(self, order_ids: Sequence[str]) -> dict[str, Folded]:
        return {order_id: self.folds[order_id] for order_id in order_ids if order_id in self.folds}

    async def save(self, rows: Sequence[tuple[OrderRow, datetime | None]]) -> None:
        for row, sla_due_at in rows:
            self.rows[row.id] = vars(row) | {"stage": str(row.stage), "state": str(row.state), "sla_due_at": sla_due_at}
            self.folds.pop(row.id, None)

    async def save_folded(self, orders_folded: Sequence[tuple[Folded, datetime | None]]) -> None:
        await self.save([(folded.row, sla_due_at) for folded, sla_due_at in orders_folded])
        self.folds |= {folded.row.id: folded for folded, _ in orders_folded}

    async def in_flight(self) -> list[dict[str, Any]]:
        return [row for row in self.rows.values() if row["sla_due_at"] and row["state"] not in ENDED_STATES]


class InMemoryJeopardyRaised:
    def __init__(self) -> None:
        self.raised: set[RaisedLevel] = set()

    async def claim(self, levels: Sequence[RaisedLevel], *, at: datetime) -> set[RaisedLevel]:
        first = set(levels) - self.raised
        self.raised |= first
        return first


class InMemoryLivePages:
    def __init__(self) -> None:
        self.announced: list[str] = []

    async def announce(self, order_ids: Sequence[str]) -> None:
        self.announced += order_ids


class InMemoryReportFacts:
    def __init__(self) -> None:
        self.facts: dict[str, ReportFact] = {}

    async def add(self, facts: Sequence[ReportFact]) -> None:
        for fact in facts:
            self.facts.setdefault(fact.message_id, fact)

    async def between(self, kinds: Sequence[str], *, start: datetime, end: datetime) -> list[ReportFact]:
        return self._oldest_first(
            fact for fact in self.facts.values() if fact.kind in kinds and start <= fact.occurred_at < end
        )

    async def of_orders(self, order_ids: Sequence[str], kinds: Sequence[str], *, before: datetime) -> list[ReportFact]:
        return self._oldest_first(
            fact
            for fact in self.facts.values()
            if fact.order_id in order_ids and fact.kind in kinds and fact.occurred_at < before
        )

    @staticmethod
    def _oldest_first(facts: Iterable[ReportFact]) -> list[ReportFact]:
        return sorted(facts, key=lambda fact: (fact.occurred_at, fact.message_id))


class InMemoryReps:
    def __init__(self) -> None:
        self.roster: dict[str, RosterRep] = {}

    async def replace(self, roster: Sequence[RosterRep]) -> None:
        self.roster = {rep.id: rep for rep in roster}

    async def by_ids(self, ids: Iterable[str]) -> dict[str, RosterRep]:
        return {rep_id: self.roster[rep_id] for rep_id in ids if rep_id in self.roster}

    async def all(self) -> list[RosterRep]:
        return [self.roster[rep_id] for rep_id in sorted(self.roster)]


class InMemoryMailOutbox:
    """The mail queued, each dedupe key once, in the order queued."""

    def __init__(self) -> None:
        self.queued: dict[str, Mail] = {}

    async def queue(self, mails: Sequence[Mail]) -> int:
        new = {mail.dedupe_key: mail for mail in mails if mail.dedupe_key not in self.queued}
        self.queued |= new
        return len(new)


class InMemoryNotificationPreferences:
    def __init__(self) -> None:
        self.status_mail: dict[str, bool] = {}

    async def unsubscribed(self, emails: Iterable[str]) -> set[str]:
        return {email.lower() for email in emails if self.status_mail.get(email.lower()) is False}

    async def set(self, email: str, *, status_mail: bool, changed_by: str, at: datetime) -> None:
        self.status_mail[email.lower()] = status_mail


class InMemoryServiceRequests:
    """Each request as the latest change heard left it."""

    def __init__(self) -> None:
        self.kept: dict[str, ServiceRequest] = {}

    async def keep(self, changes: Sequence[ServiceRequestChanged]) -> None:
        for change in changes:
            kept = self.kept.get(change.request.id)
            if kept is None or change.request.changed_at > kept.changed_at:
                self.kept[change.request.id] = change.request


class FakeConsoleUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.timelines = InMemoryTimelines()
        self.live_pages = InMemoryLivePages()
        self.orders = InMemoryOrders(self.live_pages)
        self.jeopardy = InMemoryJeopardyRaised()
        self.report_facts = InMemoryReportFacts()
        self.reps = InMemoryReps()
        self.mail = InMemoryMailOutbox()
        self.preferences = InMemoryNotificationPreferences()
        self.service_requests = InMemoryServiceRequests()

"""The console's unit of work: the transaction with its repositories on it (`uow.orders`, `uow.timelines`...)."""

from sqlalchemy.ext.asyncio import AsyncConnection

from console.live import LivePages
from console.mail_repository import MailOutbox, NotificationPreferences, Reps
from console.report_facts_repository import ReportFacts
from console.report_schedules_repository import ReportScheduleRuns
from console.repository import Assignments, JeopardyRaised, Orders, Timelines
from console.service_requests_repository import ServiceRequests
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.messaging import MessagingTables


class ConsoleUnitOfWork(UnitOfWork):
    def __init__(self, connection: AsyncConnection, *, tables: MessagingTables, source: str) -> None:
        super().__init__(connection, tables=tables, source=source)
        self.timelines = Timelines(connection)
        self.orders = Orders(connection)
        self.assignments = Assignments(connection)
        self.jeopardy = JeopardyRaised(connection)
        self.live_pages = LivePages(connection)
        self.report_facts = ReportFacts(connection)
        self.reps = Reps(connection)
        self.mail = MailOutbox(connection)
        self.preferences = NotificationPreferences(connection)
        self.report_schedules = ReportScheduleRuns(connection)
        self.service_requests = ServiceRequests(connection)

"""Intake's unit of work: one transaction, with the service's repositories working in it."""

from sqlalchemy.ext.asyncio import AsyncConnection

from intake.repository import (
    CancelRequests,
    ClientAccountRecords,
    FindingsMade,
    InstalledBase,
    OrderHistory,
    Orders,
    ReferenceVersions,
    ServiceRequests,
    Statuses,
    Submissions,
)
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.messaging import MessagingTables


class IntakeUnitOfWork(UnitOfWork):
    def __init__(self, connection: AsyncConnection, *, tables: MessagingTables, source: str) -> None:
        super().__init__(connection, tables=tables, source=source)
        self.orders = Orders(connection)
        self.statuses = Statuses(connection)
        self.submissions = Submissions(connection)
        self.history = OrderHistory(connection)
        self.findings = FindingsMade(connection)
        self.cancel_requests = CancelRequests(connection)
        self.installed_base = InstalledBase(connection)
        self.reference = ReferenceVersions(connection)
        self.accounts = ClientAccountRecords(connection)
        self.service_requests = ServiceRequests(connection)

"""Serviceability's unit of work: the transaction with its repositories on it (`uow.decisions`, `uow.surveys`...)."""

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.messaging import MessagingTables
from serviceability.repository import Checks, Decisions, Locations, Queries, ReferenceVersions, Surveys


class ServiceabilityUnitOfWork(UnitOfWork):
    def __init__(self, connection: AsyncConnection, *, tables: MessagingTables, source: str) -> None:
        super().__init__(connection, tables=tables, source=source)
        self.locations = Locations(connection)
        self.decisions = Decisions(connection)
        self.surveys = Surveys(connection)
        self.checks = Checks(connection)
        self.queries = Queries(connection)
        self.reference = ReferenceVersions(connection)

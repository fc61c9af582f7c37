"""Commission's unit of work: its repositories, each working in the unit's transaction."""

from sqlalchemy.ext.asyncio import AsyncConnection

from commission.repository import (
    AccountServices,
    Disputes,
    Ledger,
    OrderCorrectors,
    OrderProgress,
    PublishedRosters,
    Ratifications,
)
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.messaging import MessagingTables


class CommissionUnitOfWork(UnitOfWork):
    def __init__(self, connection: AsyncConnection, *, tables: MessagingTables, source: str) -> None:
        super().__init__(connection, tables=tables, source=source)
        self.ratifications = Ratifications(connection)
        self.accounts = AccountServices(connection)
        self.ledger = Ledger(connection)
        self.progress = OrderProgress(connection)
        self.disputes = Disputes(connection)
        self.correctors = OrderCorrectors(connection)
        self.rosters = PublishedRosters(connection)

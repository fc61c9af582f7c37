"""Fulfillment-handoff's unit of work: one transaction, with the service's repositories working in it."""

from sqlalchemy.ext.asyncio import AsyncConnection

from fulfillment_handoff.repository import BillingCodes, HandOffs, OpsReports, Orders, Tickets
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.messaging import MessagingTables


class FulfillmentUnitOfWork(UnitOfWork):
    def __init__(self, connection: AsyncConnection, *, tables: MessagingTables, source: str) -> None:
        super().__init__(connection, tables=tables, source=source)
        self.orders = Orders(connection)
        self.handoffs = HandOffs(connection)
        self.billing_codes = BillingCodes(connection)
        self.tickets = Tickets(connection)
        self.ops_reports = OpsReports(connection)

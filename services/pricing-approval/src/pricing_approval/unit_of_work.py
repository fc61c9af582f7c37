"""Pricing-approval's unit of work: one transaction, with the service's stores on it."""

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.messaging import MessagingTables
from pricing_approval.repository import (
    ApprovalRequests,
    CapitalReviews,
    OrderHistory,
    Proposals,
    PublishedCatalogues,
    Quotes,
    RepProposals,
)


class PricingUnitOfWork(UnitOfWork):
    def __init__(self, connection: AsyncConnection, *, tables: MessagingTables, source: str) -> None:
        super().__init__(connection, tables=tables, source=source)
        self.quotes = Quotes(connection)
        self.approvals = ApprovalRequests(connection)
        self.proposals = Proposals(connection)
        self.orders = OrderHistory(connection)
        self.catalogues = PublishedCatalogues(connection)
        self.capital_reviews = CapitalReviews(connection)
        self.rep_proposals = RepProposals(connection)

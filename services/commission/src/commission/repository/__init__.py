"""Commission's repositories over its ratifications, account services, ledger, progress, disputes and rosters, each
working on one connection (in a unit of work: `uow.ledger`...), used by handlers and the API."""

from commission.repository.account_services import (
    AccountHistory,
    AccountQuestion,
    AccountServices,
    Sale,
    ServiceQuestion,
)
from commission.repository.disputes import Disputes, OrderCorrectors
from commission.repository.ledger import Ledger, Posting
from commission.repository.progress import WHOLE_ORDER, OrderProgress
from commission.repository.ratifications import RatificationRecord, Ratifications, Stored
from commission.repository.rosters import PublishedRosters

__all__ = [
    "WHOLE_ORDER",
    "AccountHistory",
    "AccountQuestion",
    "AccountServices",
    "Disputes",
    "Ledger",
    "OrderCorrectors",
    "OrderProgress",
    "Posting",
    "PublishedRosters",
    "RatificationRecord",
    "Ratifications",
    "Sale",
    "ServiceQuestion",
    "Stored",
]

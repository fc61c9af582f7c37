"""Intake's repositories: its orders and their statuses, channel submissions, histories and the findings made on
orders, cancellation requests, the installed base, the clients and their accounts, the service requests the desk
opened and the reference versions heard,
one module each. Each works on
the connection it is built on; `intake.unit_of_work.IntakeUnitOfWork` puts them on the unit of work (`uow.orders`...).
"""

from intake.domain.records import CancelRequest, NewOrder, Revision, StoredOrder
from intake.repository.accounts import ClientAccountRecords
from intake.repository.cancel_requests import CancelRequests
from intake.repository.history import FindingsMade, OrderHistory
from intake.repository.installed_base import InstalledBase
from intake.repository.orders import OrderFilter, Orders
from intake.repository.reference_versions import ReferenceVersions
from intake.repository.service_requests import ServiceRequests
from intake.repository.statuses import Statuses
from intake.repository.submissions import Submission, Submissions, canonical_bytes

__all__ = [
    "CancelRequest",
    "CancelRequests",
    "ClientAccountRecords",
    "FindingsMade",
    "InstalledBase",
    "NewOrder",
    "OrderFilter",
    "OrderHistory",
    "Orders",
    "ReferenceVersions",
    "Revision",
    "ServiceRequests",
    "Statuses",
    "StoredOrder",
    "Submission",
    "Submissions",
    "canonical_bytes",
]

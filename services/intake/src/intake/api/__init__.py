"""Intake's API: TMF622 productOrder (create, retrieve, list, correct, cancel), the channels, the desk, the clients
and their accounts, the desk's service requests, reference data, coaching. One module a resource, each with its
router."""

from intake.api.accounts import accounts_router
from intake.api.cancel_product_orders import cancel_router
from intake.api.channels import UPLOAD_PATHS, channels_router
from intake.api.coaching import coaching_router
from intake.api.desk import desk_router
from intake.api.product_orders import router
from intake.api.reference import reference_router
from intake.api.service_requests import service_requests_router

__all__ = [
    "UPLOAD_PATHS",
    "accounts_router",
    "cancel_router",
    "channels_router",
    "coaching_router",
    "desk_router",
    "reference_router",
    "router",
    "service_requests_router",
]

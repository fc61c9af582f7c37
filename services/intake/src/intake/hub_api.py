"""TMF622's hub: listeners register for the product order events (intake.notifications) of the orders their
registrant may read: every person signed in (a sales rep: their own orders), and the CRM (the orders it sent)."""

from intake.notifications import EVENT_TYPES, HUB
from intake.tmf622 import API_ROOT
from orderdesk_shared.auth import PERSON_ROLES, Role
from orderdesk_shared.hub import hub_ops_router, hub_router

router = hub_router(api_root=API_ROOT, hub=HUB, event_types=EVENT_TYPES, registrants=PERSON_ROLES | {Role.CRM_SYSTEM})
ops_router = hub_ops_router(HUB)

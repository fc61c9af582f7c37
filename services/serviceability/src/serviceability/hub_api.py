"""TMF645's hub: listeners register for the checks answered (serviceability.notifications); a sales rep's listener
hears of the checks they asked for, a listener of anyone else signed in of every check."""

from orderdesk_shared.auth import PERSON_ROLES
from orderdesk_shared.hub import hub_ops_router, hub_router
from serviceability.notifications import EVENT_TYPES, HUB
from serviceability.tmf645 import API_ROOT

router = hub_router(api_root=API_ROOT, hub=HUB, event_types=EVENT_TYPES, registrants=PERSON_ROLES)
ops_router = hub_ops_router(HUB)

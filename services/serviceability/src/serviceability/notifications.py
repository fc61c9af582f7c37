"""The TMF645 events serviceability notifies listeners of (orderdesk_shared.hub): each check it answers. A check is
answered at once, created in its final state (done), so no state change follows its creation."""

from orderdesk_shared.hub import Hub, person_tag
from orderdesk_shared.notifications import Notification
from serviceability.tables import hub

HUB = Hub(hub)

CHECK_SERVICE_QUALIFICATION_CREATE = "CheckServiceQualificationCreateEvent"
EVENT_TYPES = (CHECK_SERVICE_QUALIFICATION_CREATE,)


def check_created(resource: dict, *, requested_by: str) -> Notification:
    """A check answered: for the listeners of those who read every check, and of the person who asked."""
    return Notification(
        event_type=CHECK_SERVICE_QUALIFICATION_CREATE,
        resource_name="checkServiceQualification",
        resource=resource,
        audience=(person_tag(requested_by),),
    )

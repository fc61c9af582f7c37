"""The TMF645 events serviceability notifies listeners of (orderdesk_shared.hub): each check and each query it answers.
Both are answered at once, created in their final state (done), so no state change follows their creation."""

from orderdesk_shared.hub import Hub, person_tag
from orderdesk_shared.notifications import Notification
from serviceability.tables import hub

HUB = Hub(hub)

CHECK_SERVICE_QUALIFICATION_CREATE = "CheckServiceQualificationCreateEvent"
QUERY_SERVICE_QUALIFICATION_CREATE = "QueryServiceQualificationCreateEvent"
EVENT_TYPES = (CHECK_SERVICE_QUALIFICATION_CREATE, QUERY_SERVICE_QUALIFICATION_CREATE)


def check_created(resource: dict, *, requested_by: str) -> Notification:
    """A check answered: for the listeners of those who read every answer, and of the person who asked."""
    return _answered(CHECK_SERVICE_QUALIFICATION_CREATE, "checkServiceQualification", resource, requested_by)


def query_created(resource: dict, *, requested_by: str) -> Notification:
    """A query answered (the offerings served at a place), for the same listeners as a check."""
    return _answered(QUERY_SERVICE_QUALIFICATION_CREATE, "queryServiceQualification", resource, requested_by)


def _answered(event_type: str, resource_name: str, resource: dict, requested_by: str) -> Notification:
    return Notification(
        event_type=event_type, resource_name=resource_name, resource=resource, audience=(person_tag(requested_by),)
    )

"""Service requests: the tickets the desk opens on an order for another department (engineering review,
construction, a billing fix). What each kind is (policies/service_requests.v1.toml), when a request is due, which
changes a request may take and who may make them. Pure: the clock and the request's id are handed in."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from orderdesk_shared.auth import Role
from orderdesk_shared.calendar import CalendarReference
from orderdesk_shared.events.intake import ServiceRequest, ServiceRequestChanged, ServiceRequestStatus

ENDED = frozenset({ServiceRequestStatus.DONE, ServiceRequestStatus.CANCELLED})
# Where a request may go from where it stands: back to open when its department has to put it down again.
_NEXT = {
    ServiceRequestStatus.OPEN: {ServiceRequestStatus.IN_PROGRESS, *ENDED},
    ServiceRequestStatus.IN_PROGRESS: {ServiceRequestStatus.OPEN, *ENDED},
}


class ServiceRequestKind(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    department: str
    # Whom a request of the kind goes to unless the desk names an owner.
    team: str
    due_in_business_days: int = Field(ge=0)
    # The role of the department's people, who may update its requests beside the desk's specialists.
    role: Role | None = None


class ServiceRequestKinds(BaseModel):
    """The kinds of service request, and the business calendar their due dates are counted in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    business_calendar: CalendarReference
    kinds: dict[str, ServiceRequestKind] = Field(min_length=1)

    @property
    def keeper_roles(self) -> frozenset[Role]:
        """Who may look after service requests: the desk's specialists and every department with a role."""
        return frozenset({Role.SPECIALIST, *(kind.role for kind in self.kinds.values() if kind.role)})


class InvalidRequest(ValueError):
    """What the desk asked for cannot be a request: the field it gave and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


class ChangeRefused(ValueError):
    """The request is past the change asked for (ended, or the status cannot follow its own)."""


@dataclass(frozen=True)
class OrderServiceRequest:
    """A service request, and the order (version) it was opened on."""

    order_id: str
    order_version: int
    request: ServiceRequest


@dataclass(frozen=True)
class Opening:
    """What the desk asks for: the kind, what is to be done, and optionally the owner and due time."""

    kind: str
    description: str
    owner: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Change:
    """A new status and/or owner, with the note saying why."""

    status: ServiceRequestStatus | None = None
    owner: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Decision:
    """The request as it stands now, and the event telling the order's timeline and the work queue."""

    kept: OrderServiceRequest
    event: ServiceRequestChanged


def open_request(
    kinds: ServiceRequestKinds,
    opening: Opening,
    *,
    request_id: str,
    order_id: str,
    order_version: int,
    opened_by: str,
    now: datetime,
) -> Decision:
    """A new open request, owned by the kind's team unless the desk named an owner, due when the desk said or the
    kind's business days from now."""
    kind = kinds.kinds.get(opening.kind)
    if kind is None:
        raise InvalidRequest("kind", f"no kind of service request {opening.kind!r}; one of {', '.join(kinds.kinds)}")
    due_at = opening.due_at or kinds.business_calendar.add_business_days(now, kind.due_in_business_days)
    if due_at <= now:
        raise InvalidRequest("dueAt", f"{due_at.isoformat()} has passed")
    request = ServiceRequest(
        id=request_id,
        kind=opening.kind,
        title=kind.title,
        department=kind.department,
        owner=opening.owner or kind.team,
        description=opening.description,
        due_at=due_at,
        status=ServiceRequestStatus.OPEN,
        opened_by=opened_by,
        opened_at=now,
        changed_by=opened_by,
        changed_at=now,
    )
    kept = OrderServiceRequest(order_id, order_version, request)
    return Decision(kept, ServiceRequestChanged(order_id=order_id, order_version=order_version, request=request))


def change_request(current: OrderServiceRequest, change: Change, *, by: str, now: datetime) -> Decision:
    """The request with its new status and/or owner; an ended request takes no change, and a status only one that
    can follow its own."""
    before = current.request
    if before.status in ENDED:
        raise ChangeRefused(f"service request {before.id} is {before.status}")
    status = change.status or before.status
    if status != before.status and status not in _NEXT[before.status]:
        raise ChangeRefused(f"service request {before.id} is {before.status}, which cannot become {status}")
    owner = change.owner or before.owner
    if (status, owner) == (before.status, before.owner):
        raise InvalidRequest("status", "the change gives the request neither another status nor another owner")
    after = before.model_copy(
        update={"status": status, "owner": owner, "changed_by": by, "changed_at": now, "note": change.note}
    )
    event = ServiceRequestChanged(
        order_id=current.order_id,
        order_version=current.order_version,
        request=after,
        previous_status=before.status,
        previous_owner=before.owner if owner != before.owner else None,
    )
    return Decision(OrderServiceRequest(current.order_id, current.order_version, after), event)


def may_change(kinds: ServiceRequestKinds, request: ServiceRequest, roles: Collection[Role]) -> bool:
    """A specialist changes any request; a department's people those of its kinds."""
    kind = kinds.kinds.get(request.kind)
    return Role.SPECIALIST in roles or (kind is not None and kind.role is not None and kind.role in roles)


def is_overdue(request: ServiceRequest, *, now: datetime) -> bool:
    return request.status not in ENDED and request.due_at < now

"""Who may see or act on an order: the one rule every service applies (issue #15).

An order's people are who submitted it, everyone who corrected it and the reps named on it. A sales rep
sees and changes only the orders they submitted or are named on; every other role (the desk's specialists,
approvers, finance, legal, Operations, the catalogue team, commission analysts, SRE) sees every order, by its
duties, and only a specialist changes any order. Only a specialist
changes the listed reps (they decide who is paid commission). Nobody among the order's people approves it or
decides a dispute about it: four eyes on the real people.

An order the caller may not see is "not found" (404), so its existence does not leak; an order they see
but may not act on is "forbidden" (403), with the reason.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from fastapi import HTTPException, status

from orderdesk_shared.auth import PERSON_ROLES, Principal, Role
from orderdesk_shared.events.order import ProductOrder

# People whose duties take them to any order (a catalog admin's to the orders held for billing codes, among others);
# a sales rep's take them to their own. The channels' upstream systems are no people: they see no order.
SEES_EVERY_ORDER = PERSON_ROLES - {Role.SALES_REP}
# Roles that correct or cancel any order: the desk. A sales rep corrects and cancels their own.
CHANGES_EVERY_ORDER = frozenset({Role.SPECIALIST})


class OrderAction(StrEnum):
    SEE = "see"
    CHANGE = "change"
    CHANGE_REPS = "change the listed reps of"
    # Approve an order, or decide a commission dispute about it.
    DECIDE = "decide on"


@dataclass(frozen=True)
class OrderPeople:
    """The people an order names: its submitter, every corrector and the reps listed (as they were given)."""

    order_id: str
    submitted_by: str | None = None
    corrected_by: frozenset[str] = frozenset()
    reps: frozenset[str] = frozenset()

    @classmethod
    def of(cls, order: ProductOrder, *, corrected_by: Iterable[str] = ()) -> "OrderPeople":
        return cls(
            order_id=order.id,
            submitted_by=order.submitted_by,
            corrected_by=frozenset(corrected_by),
            reps=frozenset(rep.rep_id for rep in order.sales_reps),
        )

    def relation_of(self, person: str) -> str | None:
        """How the person is one of the order's people ("submitted", "corrected", "is named on"); None if not."""
        who = same_person(person)
        if self.submitted_by and same_person(self.submitted_by) == who:
            return "submitted"
        if who in {same_person(rep) for rep in self.reps}:
            return "is named on"
        if who in {same_person(corrector) for corrector in self.corrected_by}:
            return "corrected"
        return None

    @property
    def owners(self) -> frozenset[str]:
        """Whose own order it is as a sales rep (its submitter and named reps), compared as `same_person` does."""
        named = {self.submitted_by, *self.reps} - {None}
        return frozenset(same_person(person) for person in named)

    def owned_by(self, person: str) -> bool:
        """Whether the order is the person's own as a sales rep: they submitted it or are named on it."""
        return same_person(person) in self.owners


@dataclass(frozen=True)
class Refusal:
    """Why the caller may not take the action; `hidden` when they may not even know the order exists."""

    hidden: bool
    reason: str

    @property
    def status_code(self) -> int:
        return status.HTTP_404_NOT_FOUND if self.hidden else status.HTTP_403_FORBIDDEN


def same_person(person: str) -> str:
    """People are compared without regard to case, as a rep id typed on an order may differ in case from a login."""
    return person.casefold()


def listed_reps(order: ProductOrder) -> frozenset[tuple[str, Decimal]]:
    """The reps an order lists with their splits: who is paid commission on it, what only a specialist changes."""
    return frozenset((same_person(rep.rep_id), rep.split_percent) for rep in order.sales_reps)


def sees_every_order(principal: Principal) -> bool:
    return bool(principal.roles & SEES_EVERY_ORDER)


def own_orders_only(principal: Principal) -> str | None:
    """Whom a listing of orders is narrowed to: the caller, as `same_person` compares them; None for every order."""
    return None if sees_every_order(principal) else same_person(principal.subject)


def refusal(principal: Principal, people: OrderPeople, action: OrderAction) -> Refusal | None:
    """Why the caller may not take `action` on the order; None when they may. Roles an endpoint needs are checked
    before (require_roles); this decides on the order itself."""
    who, order_id = principal.subject, people.order_id
    if not (sees_every_order(principal) or people.owned_by(who)):
        return Refusal(hidden=True, reason=f"no order {order_id}")
    if action is OrderAction.CHANGE and not (principal.roles & CHANGES_EVERY_ORDER or people.owned_by(who)):
        return Refusal(hidden=False, reason=f"{who} may not change order {order_id}: its reps or a specialist may")
    if action is OrderAction.CHANGE_REPS and Role.SPECIALIST not in principal.roles:
        return Refusal(hidden=False, reason=f"only a specialist may change the reps listed on order {order_id}")
    if action is OrderAction.DECIDE and (relation := people.relation_of(who)):
        return Refusal(hidden=False, reason=f"{who} {relation} order {order_id}: another person must decide")
    return None


def ensure_allowed(principal: Principal, people: OrderPeople, action: OrderAction, *, missing: str) -> None:
    """Raise the refusal as a problem, 404 with the service's own `missing` text (the same as for an order it does
    not hold) or 403 with the reason; return when the caller may act."""
    if found := refusal(principal, people, action):
        raise HTTPException(found.status_code, missing if found.hidden else found.reason)

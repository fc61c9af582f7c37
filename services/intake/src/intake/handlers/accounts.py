"""Opening valid orders' client accounts as they are stored: each order's client matched or opened, the service and
billing accounts it lacks opened, and the order carrying them on; a client that could be either of two holds the
order for the desk. A batch's orders are planned together, in a handful of statements whatever their number."""

from collections.abc import Sequence

from intake.domain.acceptance import held_for, with_accounts
from intake.domain.accounts import NumberedPlan, plan_accounts
from intake.domain.records import NewOrder
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.errors import TransientError
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import ClientAccounts, OrderState

# Another transaction opening the same client's accounts at the same moment makes the plan again; that it keeps
# doing so is a contention to retry later.
PLANNING_ATTEMPTS = 3


class AccountsContended(TransientError):
    """Other transactions kept opening the same clients' accounts while these orders were stored."""


async def open_accounts(uow: IntakeUnitOfWork, new_orders: Sequence[NewOrder]) -> list[NewOrder]:
    """Each valid order with its client's accounts (or held for the desk), the others as they are."""
    valid = [new for new in new_orders if _opens_accounts(new)]
    if not valid:
        return list(new_orders)
    outcomes = iter((await _recorded_plan(uow, valid)).outcomes)
    return [_with_outcome(new, next(outcomes)) if _opens_accounts(new) else new for new in new_orders]


def _opens_accounts(new: NewOrder) -> bool:
    return new.accounts is not None and new.status.state is OrderState.IN_PROGRESS


async def _recorded_plan(uow: IntakeUnitOfWork, valid: Sequence[NewOrder]) -> NumberedPlan:
    wanted = [new.accounts for new in valid if new.accounts is not None]
    for _ in range(PLANNING_ATTEMPTS):
        recorded = await uow.accounts.candidates([each.client for each in wanted])
        sites = {site.key for each in wanted for site in each.sites}
        kept = await uow.accounts.kept([client.id for client in recorded], sites)
        plan = plan_accounts(wanted, recorded, kept)
        numbered = plan.numbered(await uow.accounts.serials(plan.serials_needed))
        if await uow.accounts.record(numbered):
            return numbered
    raise AccountsContended(f"the accounts of {len(valid)} orders' clients were opened elsewhere meanwhile, repeatedly")


def _with_outcome(new: NewOrder, outcome: ClientAccounts | Finding) -> NewOrder:
    return held_for(new, outcome) if isinstance(outcome, Finding) else with_accounts(new, outcome)

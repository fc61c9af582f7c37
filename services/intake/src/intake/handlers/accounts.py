"""Opening a valid order's client accounts as it is stored: its client matched or opened, the service and billing
accounts it lacks opened, and the order carrying them on; a client that could be either of two holds the order for
the desk."""

from collections.abc import Sequence

from intake.domain.acceptance import held_for, with_accounts
from intake.domain.accounts import AccountsWanted, accounts_to_open, match_client, order_accounts
from intake.domain.records import NewOrder
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import OrderState


async def open_accounts(uow: IntakeUnitOfWork, new_orders: Sequence[NewOrder]) -> list[NewOrder]:
    """Each valid order with its client's accounts, one order after the other: a batch's second order of a new
    client finds the client and accounts its first one opened."""
    opened = []
    for new in new_orders:
        if new.accounts is not None and new.status.state is OrderState.IN_PROGRESS:
            new = await _with_client_accounts(uow, new, new.accounts)
        opened.append(new)
    return opened


async def _with_client_accounts(uow: IntakeUnitOfWork, new: NewOrder, wanted: AccountsWanted) -> NewOrder:
    recorded = await uow.accounts.candidates(wanted.client)
    match = match_client(wanted, recorded)
    if isinstance(match, Finding):
        return held_for(new, match)
    # A client new to the desk, or a CRM account's first order: recorded now.
    client = match if match in recorded else await uow.accounts.add_client(match or wanted.client)
    kept = await uow.accounts.kept(client.id)
    if (to_open := accounts_to_open(wanted, kept)).count:
        kept = await uow.accounts.open(client.id, to_open)
    return with_accounts(new, order_accounts(wanted, client, kept))

"""Moving commission in the ledger: postings under keys naming their facts, and the events announcing each new one."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import Row

from commission.domain import ledger
from commission.domain.ledger import Entry, adjusted, part_of, postings_for
from commission.domain.ratification import share_of_items
from commission.unit_of_work import CommissionUnitOfWork
from orderdesk_shared.events.commission import RepCommission


async def make_payable(
    uow: CommissionUnitOfWork, order_id: str, items: Sequence[str], *, settled: Sequence[str], on: date
) -> None:
    """What is accrued becomes payable: all of it, or the items' part of the commission."""
    ratification, up_to = await _part_for(uow, order_id, items, settled=settled)
    entries = ledger.make_payable(await uow.ledger.holdings(order_id), installed_on=on, up_to=up_to)
    await post(uow, order_id, ratification.order_version, entries, key=_key("payable", items), on=on)


async def reverse(
    uow: CommissionUnitOfWork, order_id: str, items: Sequence[str], *, settled: Sequence[str], on: date, reason: str
) -> None:
    """What is still accrued is taken back: all of it, or the items' part of the commission."""
    ratification, up_to = await _part_for(uow, order_id, items, settled=settled)
    if items:
        reason += f" (items {', '.join(items)})"
    entries = ledger.reverse(await uow.ledger.holdings(order_id), reason=reason, up_to=up_to)
    await post(uow, order_id, ratification.order_version, entries, key=_key("reversed", items), on=on)


async def _part_for(
    uow: CommissionUnitOfWork, order_id: str, items: Sequence[str], *, settled: Sequence[str]
) -> tuple[Row, dict[str, Decimal] | None]:
    """The ratification, and each rep's part of its commission for the items (None: all that is left)."""
    ratification = await uow.ratifications.get(order_id, for_update=True)
    if not items:
        return ratification, None
    item_mrr = {item: Decimal(mrr) for item, mrr in ratification.item_mrr.items()}
    reps = [RepCommission.model_validate(rep) for rep in ratification.reps]
    return ratification, part_of(reps, share_of_items(item_mrr, items, settled=settled))


def _key(kind: str, items: Sequence[str]) -> str:
    """The ledger key of a move for the whole order, or for some of its items."""
    return f"{kind}/{','.join(items)}" if items else kind


async def post(
    uow: CommissionUnitOfWork,
    order_id: str,
    order_version: int,
    entries: Sequence[Entry],
    *,
    key: str,
    on: date,
    dispute_id: str | None = None,
) -> None:
    """Append the entries to the ledger and announce each one that was not there yet."""
    postings = postings_for(order_id, entries, key=key, on=on, dispute_id=dispute_id)
    added = await uow.ledger.add_entries(postings)
    for posting in postings:
        if posting.entry_key in added:
            uow.emit(adjusted(posting, order_version))

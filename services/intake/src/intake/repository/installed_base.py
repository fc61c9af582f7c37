"""The installed base: the products of the accounts' orders handed off through OrderDesk, and how Operations
settles them."""

from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.installed_base import InstalledProduct, ProductChange, ProductState
from intake.tables import installed_products
from orderdesk_shared.db import insert_or_update_all
from orderdesk_shared.events.order import ServiceLocation


class InstalledBase:
    """The installed base's products, in the unit of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def products_of(self, account_id: str, *, also: Collection[str] = ()) -> list[InstalledProduct]:
        """The products intake has on record for the account (those handed off through OrderDesk), and the records
        of the products `also` names wherever they are now (a seed product transferred to another account, say)."""
        rows = await self._connection.execute(
            sa.select(installed_products).where(
                sa.or_(installed_products.c.account_id == account_id, installed_products.c.product_id.in_(list(also)))
            )
        )
        return [_installed(row) for row in rows]

    async def record_changes(self, changes: Sequence[ProductChange]) -> None:
        """Handed-off orders' products: added or replaced as handed off, or marked as being disconnected (a product
        of the seed gets its record then), two statements for a whole batch."""
        replaced = [_product_values(change) for change in changes if change.replaces]
        await insert_or_update_all(self._connection, installed_products, replaced)
        marked = [_product_values(change) for change in changes if not change.replaces]
        await insert_or_update_all(self._connection, installed_products, marked, keep_first=_PRODUCT_DETAILS)

    async def settle(self, order_id: str, *, installed: bool) -> None:
        """Operations installed the order (its products are in service, its disconnects done) or stopped it (what
        it would have added never was, what it would have disconnected stays)."""
        settled = _AFTER_INSTALL if installed else _AFTER_CANCEL
        for before, after in settled.items():
            await self._connection.execute(
                sa.update(installed_products)
                .where(installed_products.c.order_id == order_id, installed_products.c.state == before)
                .values(state=after, updated_at=sa.func.now())
            )
        if not installed:
            await self._connection.execute(
                sa.delete(installed_products).where(
                    installed_products.c.order_id == order_id, installed_products.c.state == ProductState.ORDERED
                )
            )


def _installed(row: sa.Row) -> InstalledProduct:
    return InstalledProduct(
        product_id=row.product_id,
        account_id=row.account_id,
        offering_id=row.offering_id,
        characteristics=row.characteristics,
        location=ServiceLocation.model_validate(row.location) if row.location else None,
        mrc=row.mrc,
        term_months=row.term_months,
        state=ProductState(row.state),
        order_id=row.order_id,
    )


# What a disconnect leaves as it was on record: only its state and the order changing it are new.
_PRODUCT_DETAILS = ("account_id", "offering_id", "characteristics", "location", "mrc", "term_months")


def _product_values(change: ProductChange) -> dict:
    product = change.product
    return {
        "product_id": product.product_id,
        "account_id": product.account_id,
        "offering_id": product.offering_id,
        "characteristics": dict(product.characteristics),
        "location": product.location.model_dump(mode="json", by_alias=True, exclude_none=True)
        if product.location
        else None,
        "mrc": product.mrc,
        "term_months": product.term_months,
        "state": str(product.state),
        "order_id": product.order_id,
        "updated_at": change.at,
    }


_AFTER_INSTALL = {ProductState.ORDERED: ProductState.INSTALLED, ProductState.DISCONNECTING: ProductState.DISCONNECTED}
_AFTER_CANCEL = {ProductState.DISCONNECTING: ProductState.INSTALLED}

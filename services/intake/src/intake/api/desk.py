"""The desk's routes: releasing a likely duplicate, an account's installed base."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from intake.api.dependencies import Db, DeskSpecialist, Reader, Rules
from intake.api.stored_orders import conflict_when_not_allowed, order_resource, stored_or_404
from intake.domain.installed_base import InstalledProduct, seeded_for, with_seed
from intake.handlers import release_duplicate
from intake.repository import InstalledBase

desk_router = APIRouter(prefix="/intake", tags=["the desk"])


class DuplicateRelease(BaseModel):
    note: str = Field(min_length=1, max_length=500, description="why it is a separate order: the desk's record")


@desk_router.post("/duplicates/{order_id}/release")
async def release_likely_duplicate(order_id: str, release: DuplicateRelease, principal: DeskSpecialist, db: Db) -> dict:
    """A specialist judged an order held as a likely duplicate a separate order: it moves on (or cancel it)."""
    async with db.unit_of_work() as uow:
        stored = await stored_or_404(uow.orders, order_id, for_update=True)
        with conflict_when_not_allowed(f"order {order_id} cannot be released"):
            await release_duplicate(stored, uow, actor=principal.subject, note=release.note)
        released = await stored_or_404(uow.orders, order_id)
    return order_resource(released)


@desk_router.get("/accounts/{account_id}/products")
async def account_products(account_id: str, _: Reader, db: Db, rules: Rules) -> list[dict]:
    """The account's installed base: products handed off through OrderDesk, and those on record from before."""
    seed = rules.reference.installed_products
    async with db.engine.connect() as connection:
        recorded = await InstalledBase(connection).products_of(account_id, also=seeded_for(account_id, seed))
    return [_product(product) for product in with_seed(account_id, recorded, seed)]


def _product(product: InstalledProduct) -> dict:
    return {
        "id": product.product_id,
        "account": product.account_id,
        "productOffering": {"id": product.offering_id},
        "characteristics": dict(product.characteristics),
        "place": product.location.model_dump(mode="json", by_alias=True, exclude_none=True)
        if product.location
        else None,
        "mrc": str(product.mrc) if product.mrc is not None else None,
        "termMonths": product.term_months,
        "state": product.state,
        "orderId": product.order_id,
    }

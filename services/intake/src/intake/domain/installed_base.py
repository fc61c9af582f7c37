"""The account's installed base: the products a change, move or disconnect is about (DOMAIN.md, "Order model").

A rep or a caller often names only the customer's product ("disconnect PRD-448812"); the product is known
here from the hand-off that sold it (or the seed of products from before OrderDesk), with its offering,
site, configuration and MRC. Pure: the handler gives the account's products.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.order import ItemAction, ItemPrice, OrderItem, OrderType, ProductOrder, ServiceLocation

INCOMPLETE = "INCOMPLETE_DATA"
INVALID = "INVALID_VALUE"


class ProductState(StrEnum):
    ORDERED = "ordered"  # handed off, not installed yet
    INSTALLED = "installed"
    DISCONNECTING = "disconnecting"  # a disconnect or move-out was handed off
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class InstalledProduct:
    product_id: str
    account_id: str
    offering_id: str
    characteristics: Mapping[str, str | int | float | bool]
    location: ServiceLocation | None
    mrc: Decimal | None
    term_months: int | None
    state: ProductState = ProductState.INSTALLED
    order_id: str | None = None


def seeded_for(account_id: str | None, seed: Mapping[str, InstalledProduct]) -> list[str]:
    """The ids of the products the seed gives the account."""
    return [product.product_id for product in seed.values() if product.account_id == account_id]


def with_seed(
    account_id: str | None, recorded: Sequence[InstalledProduct], seed: Mapping[str, InstalledProduct]
) -> list[InstalledProduct]:
    """The account's products: those on record, and those of the seed with no record yet. A seed product on record
    under another account (transferred) is that account's now."""
    known = {product.product_id for product in recorded}
    products = [p for p in recorded if p.account_id == account_id]
    products += [seed[product_id] for product_id in seeded_for(account_id, seed) if product_id not in known]
    return sorted(products, key=lambda product: product.product_id)


def product_id_for(order_id: str, item_id: str) -> str:
    """The id the customer's product gets from the order item that sells it."""
    return f"PRD-{order_id.removeprefix('PO-')}-{item_id}"


_NAMING_A_PRODUCT = frozenset({ItemAction.MODIFY, ItemAction.DELETE})


def needs_installed_base(order: ProductOrder) -> bool:
    """Whether a change, move-out or disconnect item leaves out its offering or site (for the product to give)."""
    return any(
        item.action in _NAMING_A_PRODUCT and not (item.product_offering_id and item.location) for item in order.items
    )


def complete_from_installed_base(
    order: ProductOrder, products: Sequence[InstalledProduct]
) -> tuple[ProductOrder, list[Finding]]:
    """Fill what a change, move-out or disconnect item leaves out (offering, site, configuration, MRC being
    removed) from the account's product it names; name what cannot be found, with its field path."""
    if order.account.id is None:
        return order, []
    by_id = {product.product_id: product for product in products}
    findings: list[Finding] = []
    items = []
    for index, item in enumerate(order.items):
        if item.action not in _NAMING_A_PRODUCT:
            items.append(item)
            continue
        product, finding = _product_named(order, index, item, by_id, products)
        if finding:
            findings.append(finding)
        items.append(_completed(item, product) if product else item)
    return order.model_copy(update={"items": items}), findings


def _product_named(
    order: ProductOrder,
    index: int,
    item: OrderItem,
    by_id: Mapping[str, InstalledProduct],
    products: Sequence[InstalledProduct],
) -> tuple[InstalledProduct | None, Finding | None]:
    at, account = f"items[{index}]", order.account.id
    if item.existing_product_id is None:
        # Only the offering named: the account's one live product of it, if it has exactly one.
        live = [p for p in products if p.offering_id == item.product_offering_id and _live(p)]
        return (live[0], None) if len(live) == 1 else (None, None)
    product = by_id.get(item.existing_product_id)
    if product is None:
        if item.product_offering_id and (item.location or item.action is ItemAction.MODIFY):
            return None, None  # everything the item needs is on it: a product from before the records
        return None, Finding(
            reason_code=INCOMPLETE,
            field_path=f"{at}.existingProductId",
            message=f"account {account} has no product {item.existing_product_id} on record",
            fix="Check the product id on the customer's bill, or give the offering and the service address.",
        )
    if product.account_id != account:
        return None, Finding(
            reason_code=INVALID,
            field_path=f"{at}.existingProductId",
            message=f"product {product.product_id} belongs to account {product.account_id}, not {account}",
            fix="Give a product of this account, or order a transfer of the product first.",
        )
    if not _live(product):
        return None, Finding(
            reason_code=INVALID,
            field_path=f"{at}.existingProductId",
            message=f"product {product.product_id} is {product.state} already",
            fix="Give a product the customer still has.",
        )
    return product, None


def _live(product: InstalledProduct) -> bool:
    return product.state in (ProductState.ORDERED, ProductState.INSTALLED)


def _completed(item: OrderItem, product: InstalledProduct) -> OrderItem:
    """The item with what it leaves out taken from the product; what the item says wins."""
    filled: dict = {"existing_product_id": product.product_id}
    if not item.product_offering_id:
        filled["product_offering_id"] = product.offering_id
    if item.location is None and product.location is not None:
        filled["location"] = product.location
    if not item.characteristics:
        filled["characteristics"] = dict(product.characteristics)
    if item.item_term_months is None and product.term_months is not None and item.action is ItemAction.DELETE:
        filled["item_term_months"] = product.term_months
    if item.action is ItemAction.DELETE and product.mrc is not None and (item.price is None or item.price.mrc is None):
        # A disconnect charges nothing new; the MRC it stops is what billing and commission need to know.
        filled["price"] = ItemPrice(mrc=product.mrc, nrc=item.price.nrc if item.price else None)
    return item.model_copy(update=filled)


@dataclass(frozen=True)
class ProductChange:
    """What a handed-off item does to the account's products."""

    product: InstalledProduct
    # True: the product is created or replaced as handed off; False: only its state changes.
    replaces: bool
    # When intake heard of the hand-off: the record's last change.
    at: datetime


def changes_handed_off(event: OrderHandedOff, *, at: datetime) -> list[ProductChange]:
    """An add creates the product (ordered), a change replaces it, a delete marks it being disconnected; a transfer
    moves it to the new owner's account. `at`: when intake heard of the hand-off."""
    order = event.order
    account = (order.transfer_to.id if order.transfer_to and order.order_type is OrderType.TRANSFER else None) or (
        order.account.id
    )
    if account is None:
        account = order.account.key
    net_mrc = {priced.item_id: priced.net_mrc for priced in event.pricing.items}
    changes = []
    for item in order.items:
        if item.action is ItemAction.NO_CHANGE:
            continue
        product = InstalledProduct(
            product_id=item.existing_product_id or product_id_for(order.id, item.id),
            account_id=account,
            offering_id=item.product_offering_id,
            characteristics=item.characteristics,
            location=item.location,
            mrc=net_mrc.get(item.id, item.price.mrc if item.price else None),
            term_months=item.item_term_months or (order.agreement.term_months if order.agreement else None),
            state=ProductState.DISCONNECTING if item.action is ItemAction.DELETE else ProductState.ORDERED,
            order_id=order.id,
        )
        if item.action is ItemAction.ADD:
            product = replace(product, product_id=product_id_for(order.id, item.id))
        changes.append(ProductChange(product, replaces=item.action is not ItemAction.DELETE, at=at))
    return changes

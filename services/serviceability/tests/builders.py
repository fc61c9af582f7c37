"""What serviceability's tests decide on: sites of the shipped seed inventory, and validated orders for them."""

from decimal import Decimal

from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.order import (
    Account,
    Address,
    Channel,
    ItemPrice,
    OrderItem,
    OrderType,
    ProductOrder,
    ServiceLocation,
)

# Sites of the seed inventory (reference/locations.v1.csv).
ON_NET = Address(street="233 S Wacker Dr Ste 4400", city="Chicago", state_or_province="IL", postcode="60606")
NEAR_NET_950_FT = Address(street="2900 E 106th St", city="Chicago", state_or_province="IL", postcode="60617")
OFF_NET = Address(street="293 W Adams St", city="Chicago", state_or_province="IL", postcode="60606")
NOT_IN_INVENTORY = Address(street="1 Nowhere Ln", city="Chicago", state_or_province="IL", postcode="60601")


def validated(order_id: str, *sites: tuple[str, Address], version: int = 1, bandwidth: int = 500) -> OrderValidated:
    """A validated order for the offerings at the sites given (its items numbered from 1)."""
    order = ProductOrder(
        id=order_id,
        channel=Channel.API,
        order_type=OrderType.ADD,
        account=Account(id="ACC-10001"),
        items=[
            OrderItem(
                id=str(n),
                product_offering_id=offering,
                characteristics={"bandwidth_mbps": bandwidth} if offering == "DIA-FIBER" else {},
                location=ServiceLocation(address=address),
                price=ItemPrice(mrc=Decimal("1000")),
            )
            for n, (offering, address) in enumerate(sites, start=1)
        ],
    )
    return OrderValidated(order_id=order_id, order_version=version, order=order)

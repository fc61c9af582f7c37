from decimal import Decimal

from orderdesk_shared.events.order import Account, Agreement, Channel, ItemPrice, OrderItem, OrderType, ProductOrder
from pricing_approval.domain.skeleton import price


def _order(*items: OrderItem, term: int = 36) -> ProductOrder:
    return ProductOrder(
        id="PO-1",
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(id="A-1"),
        agreement=Agreement(term_months=term),
        items=list(items),
    )


def test_net_mrc_applies_the_discount_and_tcv_counts_every_month_of_the_term():
    pricing = price(
        _order(
            OrderItem(
                id="1",
                product_offering_id="DIA",
                quantity=2,
                price=ItemPrice(mrc=Decimal("999.99"), nrc=Decimal(250), mrc_discount_percent=Decimal(5)),
            ),
            term=24,
        )
    )
    [item] = pricing.items
    assert item.list_mrc == Decimal("1999.98")
    assert item.net_mrc == Decimal("1899.98")
    assert pricing.nrc_total == Decimal("500.00")
    assert pricing.total_contract_value == Decimal("1899.98") * 24 + Decimal("500.00")


def test_an_item_term_overrides_the_agreement_term():
    pricing = price(
        _order(OrderItem(id="1", product_offering_id="DIA", item_term_months=12, price=ItemPrice(mrc=Decimal(100))))
    )
    assert pricing.items[0].term_months == 12
    assert pricing.total_contract_value == Decimal(1200)

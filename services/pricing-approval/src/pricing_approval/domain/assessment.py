"""A qualified order priced and judged: its quote, the capital view of any build, and the approvals it needs."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.pricing_approval import CapitalFigures, PriceComponent, PricedItem, Pricing
from orderdesk_shared.events.serviceability import SiteQualification
from orderdesk_shared.product_catalogue import Catalogue
from pricing_approval.domain.approvals import Rejection, RequiredApproval, required_approvals
from pricing_approval.domain.capital import CapitalView, capital_view
from pricing_approval.domain.markets import MarketPolicies, item_markets
from pricing_approval.domain.policy import ApprovalPolicy
from pricing_approval.domain.pricing import Quote, quote_order


@dataclass(frozen=True)
class Assessment:
    quote: Quote
    capital: CapitalView | None
    approvals: tuple[RequiredApproval, ...]
    rejection: Rejection | None

    def pricing(self, *, catalogue_version: str, policy_version: str) -> Pricing:
        """The pricing as it travels on orders.priced and orders.approved."""
        quote = self.quote
        return Pricing(
            items=[
                PricedItem(
                    item_id=line.item_id,
                    offering_id=line.offering_id,
                    quantity=line.quantity,
                    term_months=line.term_months,
                    list_mrc=line.list_mrc,
                    promoted_mrc=line.promoted_mrc,
                    net_mrc=line.net_mrc,
                    list_nrc=line.promoted_nrc,
                    nrc=line.net_nrc,
                    discount_percent=line.discount_percent,
                    promotion_code=line.promotion_code,
                    promotion_note=line.promotion_note,
                    icb_reasons=list(line.icb_reasons) or None,
                    price_components=[
                        PriceComponent(id=c.price_id, kind=c.price_type, amount=c.promoted_amount)
                        for c in line.components
                    ],
                )
                for line in quote.lines
            ],
            mrc_total=quote.mrc_total,
            nrc_total=quote.nrc_total,
            total_contract_value=quote.total_contract_value,
            # The capital view travels as it is: the wire model has its fields, under the same names.
            capital=CapitalFigures(**asdict(self.capital)) if self.capital else None,
            catalogue_version=catalogue_version,
            approval_policy_version=policy_version,
        )


def assess_order(
    order: ProductOrder,
    sites: Sequence[SiteQualification],
    *,
    catalogue: Catalogue,
    policy: ApprovalPolicy,
    markets: MarketPolicies,
    order_date: date,
) -> Assessment:
    """Price the order from the catalogue, then apply the capital policy and the approval matrix to it, with the
    discount thresholds of the sites' markets where their policies depart from the matrix.

    Raises PricingError when an item cannot be priced.
    """
    quote = quote_order(order, catalogue=catalogue, order_date=order_date)
    agreement = order.agreement
    capital = capital_view(
        quote=quote, sites=sites, ciac=agreement.ciac if agreement else Decimal(0), rules=policy.capital
    )
    outcome = required_approvals(
        quote=quote,
        non_standard_terms=agreement.non_standard_terms if agreement else None,
        capital=capital,
        policy=policy,
        markets=markets,
        item_markets=item_markets(sites),
    )
    return Assessment(quote=quote, capital=capital, approvals=outcome.approvals, rejection=outcome.rejection)

"""Market policies: where markets depart from the company's rules, by product (policies/market_policies.v1.toml).

A market may move the discount thresholds of the approval matrix, not sell some offerings, require legal clauses in
the proposal, and add tax and fee lines to it. Each rule has a policy name, which every decision it makes cites, so
an approver, a rep or the customer can tell a market's rule from the company's.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import ItemAction, ProductOrder
from orderdesk_shared.events.pricing_approval import PricedItem
from orderdesk_shared.events.serviceability import SiteQualification
from orderdesk_shared.money import HUNDRED, dollars, percent, to_cents
from pricing_approval.domain.policy import DiscountTier, check_discount_tiers

NOT_SOLD_IN_MARKET = "NOT_SOLD_IN_MARKET"

MarketCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Text = Annotated[str, Field(min_length=1)]


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The name decisions cite, e.g. "DET-DISCOUNT-2026".
    policy: Text
    markets: Annotated[frozenset[MarketCode], Field(min_length=1)]
    # The offerings the rule is about; none named: every offering.
    offerings: frozenset[str] = frozenset()

    def covers(self, market: str | None, offering_id: str | None) -> bool:
        return market in self.markets and (not self.offerings or offering_id in self.offerings)


class DiscountThresholds(_Rule):
    """The discount tiers that replace the approval matrix's for the markets' items of these offerings."""

    why: Text
    discount_tiers: Annotated[tuple[DiscountTier, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _tiers_contiguous(self) -> "DiscountThresholds":
        check_discount_tiers(self.discount_tiers)
        return self


class NotSold(_Rule):
    """Offerings the markets do not sell, and why."""

    why: Text


class LegalClause(_Rule):
    """A clause the proposal must carry when it has an item of these offerings in one of the markets."""

    text: Text


class FeeLine(_Rule):
    """A tax or fee the proposal shows for the markets' items of these offerings: a share of their MRC, or an amount
    a month per unit. Billing charges it; it is no part of the price, the TCV or the commission."""

    name: Text
    percent_of_mrc: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    monthly_per_unit: Annotated[Decimal, Field(gt=0, decimal_places=2)] | None = None

    @model_validator(mode="after")
    def _one_basis(self) -> "FeeLine":
        if (self.percent_of_mrc is None) == (self.monthly_per_unit is None):
            raise ValueError(f"fee {self.policy} needs exactly one of percent_of_mrc and monthly_per_unit")
        return self

    def monthly(self, item: PricedItem) -> Decimal:
        if self.percent_of_mrc is not None:
            return to_cents(item.net_mrc * self.percent_of_mrc / HUNDRED)
        assert self.monthly_per_unit is not None
        return to_cents(self.monthly_per_unit * (item.quantity or 1))

    @property
    def basis(self) -> str:
        if self.percent_of_mrc is not None:
            return f"{percent(self.percent_of_mrc)} of MRC"
        assert self.monthly_per_unit is not None
        return f"{dollars(self.monthly_per_unit)} a month per unit"


@dataclass(frozen=True)
class MarketThresholds:
    """A market's discount tiers for an item, with the market's name to cite them by."""

    market_name: str
    rule: DiscountThresholds

    def cited(self) -> str:
        return f"market policy {self.rule.policy}, {self.market_name}: {self.rule.why}"


@dataclass(frozen=True)
class FeeCharge:
    """A tax or fee line of the proposal: what it is, on which items, and what it comes to a month."""

    label: str
    monthly: Decimal


class MarketPolicies(BaseModel):
    """The markets' departures. Of the discount threshold rules, the first that covers an item applies: list the
    ones for named offerings before one for every offering of the same market."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    markets: dict[MarketCode, Text] = Field(default_factory=dict)
    discount_thresholds: tuple[DiscountThresholds, ...] = ()
    not_sold: tuple[NotSold, ...] = ()
    legal_clauses: tuple[LegalClause, ...] = ()
    fees: tuple[FeeLine, ...] = ()

    @model_validator(mode="after")
    def _markets_named_policies_once(self) -> "MarketPolicies":
        names = [rule.policy for rule in self._rules()]
        if twice := sorted({name for name in names if names.count(name) > 1}):
            raise ValueError(f"policy names used twice: {', '.join(twice)}")
        for rule in self._rules():
            if unnamed := sorted(rule.markets - set(self.markets)):
                raise ValueError(f"{rule.policy}: markets not named under [markets]: {', '.join(unnamed)}")
        return self

    def _rules(self) -> Iterator[_Rule]:
        yield from (*self.discount_thresholds, *self.not_sold, *self.legal_clauses, *self.fees)

    def offerings_named(self) -> set[str]:
        return {offering for rule in self._rules() for offering in rule.offerings}

    def discount_thresholds_for(self, market: str | None, offering_id: str) -> MarketThresholds | None:
        """The market's discount tiers for the offering, where its policy departs from the matrix's."""
        rule = next((rule for rule in self.discount_thresholds if rule.covers(market, offering_id)), None)
        return MarketThresholds(self.markets[market], rule) if rule and market else None

    def not_sold_findings(self, order: ProductOrder, item_markets: Mapping[str, str | None]) -> list[Finding]:
        """The items the order adds or changes in a market that does not sell their offering (removals may go on)."""
        return [
            Finding(
                reason_code=NOT_SOLD_IN_MARKET,
                field_path=f"items[{index}].productOffering.id",
                message=(
                    f"item {item.id}: {item.product_offering_id} is not sold in {self.markets[market]} ({market}):"
                    f" {rule.why} (market policy {rule.policy})"
                ),
                fix="Offer another product at this site, or remove the item, and resubmit.",
            )
            for index, item in enumerate(order.items)
            if item.action is not ItemAction.DELETE and (market := item_markets.get(item.id))
            for rule in self.not_sold
            if rule.covers(market, item.product_offering_id)
        ]

    def fee_charges(self, items: Sequence[PricedItem], item_markets: Mapping[str, str | None]) -> list[FeeCharge]:
        """The tax and fee lines the items' markets add: one a rule, in the order the file lists them."""
        charges = []
        for rule in self.fees:
            liable = [item for item in items if rule.covers(item_markets.get(item.item_id), item.offering_id)]
            if liable:
                on = ", ".join(item.item_id for item in liable)
                charges.append(
                    FeeCharge(
                        label=f"{rule.name} ({rule.basis}; item {on}; market policy {rule.policy})",
                        monthly=sum((rule.monthly(item) for item in liable), Decimal(0)),
                    )
                )
        return charges

    def required_clauses(self, items: Sequence[PricedItem], item_markets: Mapping[str, str | None]) -> list[str]:
        """The legal clauses the items' markets require, each once, naming its policy."""
        return [f"{rule.text} (market policy {rule.policy})" for rule in self.clause_rules(items, item_markets)]

    def clause_rules(self, items: Sequence[PricedItem], item_markets: Mapping[str, str | None]) -> list[LegalClause]:
        """The rules requiring a legal clause of the items' markets, each once, in the order the file lists them."""
        return [
            rule
            for rule in self.legal_clauses
            if any(rule.covers(item_markets.get(item.item_id), item.offering_id) for item in items)
        ]


def item_markets(sites: Sequence[SiteQualification]) -> dict[str, str | None]:
    """Each item's market, as serviceability found its site."""
    return {site.item_id: site.market for site in sites}

"""The product catalogue's file format: TMF620-shaped offerings and prices (pricing-approval's catalogue/README.md).

Pricing-approval owns the catalogue and prices orders from it; the order generator reads the same published file
for the offerings and list prices it orders. Loaded from a versioned JSON file; anything malformed is an error
naming the file, the offering or promotion and the field.
"""

import itertools
import json
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from orderdesk_shared.events.order import OrderType
from orderdesk_shared.field_problems import described, field_problems
from orderdesk_shared.money import percent_off

Family = Literal["internet", "ethernet", "managed-network", "voice", "tv", "managed-apps", "cloud", "hosting"]
TermMonths = Literal[12, 24, 36, 60]
CharacteristicValueType = StrictInt | Annotated[StrictStr, Field(min_length=1)]
Percent = Annotated[Decimal, Field(ge=0, le=100)]


class CatalogueError(ValueError):
    """The catalogue file is missing or malformed; the message names the file, the entry and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class Money(_Model):
    unit: str
    value: Annotated[Decimal, Field(ge=0, decimal_places=2)]


class Duration(_Model):
    amount: TermMonths
    units: Literal["month"]


class ProductOfferingTerm(_Model):
    name: str | None = None
    duration: Duration


class CharacteristicValue(_Model):
    value: CharacteristicValueType
    is_default: bool = False


class CharacteristicValueUse(_Model):
    """On an offering: a characteristic and the values it may take; on a price: the values it applies to."""

    name: Annotated[str, Field(min_length=1)]
    value_type: Literal["integer", "string"] | None = None
    product_spec_characteristic_value: Annotated[tuple[CharacteristicValue, ...], Field(min_length=1)]

    @cached_property
    def values(self) -> tuple[str, ...]:
        """The values as text, the way an order's characteristics are compared with them."""
        return tuple(str(choice.value) for choice in self.product_spec_characteristic_value)

    @model_validator(mode="after")
    def _no_repeated_values(self) -> "CharacteristicValueUse":
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"{self.name} lists a value twice")
        return self


class UnitOfMeasure(_Model):
    """A price per unit: `units` names the characteristic whose value counts the units (e.g. seats)."""

    amount: Literal[1]
    units: str


class ProductOfferingPrice(_Model):
    """A recurring or one-time price component, or a discount for a term.

    A component's id is what the billing-code map keys on. It applies to an item when the item has one
    of the listed values of every characteristic it names; `icb` marks a budgetary price that is
    agreed case by case.
    """

    id: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]*$")]
    name: Annotated[str, Field(min_length=1)]
    price_type: Literal["recurring", "oneTime", "discount"]
    recurring_charge_period_type: Literal["month"] | None = None
    recurring_charge_period_length: Literal[1] | None = None
    price: Money | None = None
    percentage: Annotated[Decimal, Field(gt=0, lt=100)] | None = None
    unit_of_measure: UnitOfMeasure | None = None
    prod_spec_char_value_use: tuple[CharacteristicValueUse, ...] = ()
    product_offering_term: tuple[ProductOfferingTerm, ...] = ()
    icb: bool = False

    @model_validator(mode="after")
    def _shape_fits_the_price_type(self) -> "ProductOfferingPrice":
        recurring = self.recurring_charge_period_type is not None
        if self.price_type == "discount":
            if self.percentage is None or self.price is not None or len(self.product_offering_term) != 1:
                raise ValueError(f"{self.id}: a term discount has a percentage and exactly one term, and no price")
            if self.prod_spec_char_value_use or self.unit_of_measure or recurring or self.icb:
                raise ValueError(f"{self.id}: a term discount applies to the whole offering: no characteristics")
            return self
        if self.price is None or self.percentage is not None or self.product_offering_term:
            raise ValueError(f"{self.id}: a {self.price_type} price has a price, and no percentage or term")
        if recurring != (self.price_type == "recurring") or (recurring and self.recurring_charge_period_length != 1):
            raise ValueError(f"{self.id}: a recurring price, and only a recurring price, is charged every 1 month")
        return self

    def applies_to(self, characteristics: Mapping[str, str]) -> bool:
        return all(characteristics.get(use.name) in use.values for use in self.prod_spec_char_value_use)

    def units(self, characteristics: Mapping[str, str]) -> int:
        return int(characteristics[self.unit_of_measure.units]) if self.unit_of_measure else 1


class Category(_Model):
    id: Family


class ProductOffering(_Model):
    id: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]*$")]
    name: Annotated[str, Field(min_length=1)]
    lifecycle_status: Literal["Active", "Retired"]
    category: tuple[Category]
    requires_service_location: bool
    prod_spec_char_value_use: tuple[CharacteristicValueUse, ...]
    product_offering_term: Annotated[tuple[ProductOfferingTerm, ...], Field(min_length=1)]
    product_offering_price: Annotated[tuple[ProductOfferingPrice, ...], Field(min_length=1)]

    @property
    def family(self) -> str:
        return self.category[0].id

    @property
    def active(self) -> bool:
        return self.lifecycle_status == "Active"

    @cached_property
    def characteristics(self) -> dict[str, tuple[str, ...]]:
        """Each characteristic's allowed values, as text."""
        return {use.name: use.values for use in self.prod_spec_char_value_use}

    @cached_property
    def defaults(self) -> dict[str, str]:
        """The value an item gets for a characteristic it does not give."""
        return {
            use.name: next(str(choice.value) for choice in use.product_spec_characteristic_value if choice.is_default)
            for use in self.prod_spec_char_value_use
        }

    @cached_property
    def terms(self) -> tuple[int, ...]:
        return tuple(term.duration.amount for term in self.product_offering_term)

    def components(
        self, price_type: Literal["recurring", "oneTime"], characteristics: Mapping[str, str]
    ) -> list[ProductOfferingPrice]:
        """The prices of this type that apply to an item with these characteristic values."""
        return [
            price
            for price in self.product_offering_price
            if price.price_type == price_type and price.applies_to(characteristics)
        ]

    def term_discount_percent(self, term_months: int) -> Decimal:
        """The catalogue's discount for committing to this term; no discount when none is listed."""
        return next(
            (
                price.percentage
                for price in self.product_offering_price
                if price.price_type == "discount" and price.product_offering_term[0].duration.amount == term_months
            ),
            Decimal(0),
        )

    def list_amount(
        self, price: ProductOfferingPrice, characteristics: Mapping[str, str], *, quantity: int, term: int
    ) -> Decimal:
        """A component's amount for an item before any promotion or discount of the rep's: its price for the
        item's units and quantity, less the term discount when it is recurring."""
        amount = price.price.value * price.units(characteristics) * quantity
        return percent_off(amount, self.term_discount_percent(term) if price.price_type == "recurring" else Decimal(0))

    @model_validator(mode="after")
    def _consistent(self) -> "ProductOffering":
        names = [use.name for use in self.prod_spec_char_value_use]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.id}: a characteristic is listed twice")
        for use in self.prod_spec_char_value_use:
            if sum(choice.is_default for choice in use.product_spec_characteristic_value) != 1:
                raise ValueError(f"{self.id}: characteristic {use.name} needs exactly one default value")
        if len(set(self.terms)) != len(self.terms):
            raise ValueError(f"{self.id}: a term is listed twice")
        for price in self.product_offering_price:
            self._check_price(price)
        discounted = [p.product_offering_term[0].duration.amount for p in self.product_offering_price if p.percentage]
        if len(set(discounted)) != len(discounted):
            raise ValueError(f"{self.id}: two discounts for the same term")
        for combination in itertools.product(*(use.values for use in self.prod_spec_char_value_use)):
            chosen = dict(zip(names, combination, strict=True))
            if not self.components("recurring", chosen):
                raise ValueError(f"{self.id}: no recurring price for {chosen}")
        return self

    def _check_price(self, price: ProductOfferingPrice) -> None:
        for use in price.prod_spec_char_value_use:
            allowed = self.characteristics.get(use.name)
            if allowed is None:
                raise ValueError(f"{price.id}: {self.id} has no characteristic {use.name}")
            if unknown := set(use.values) - set(allowed):
                raise ValueError(f"{price.id}: {use.name} {sorted(unknown)} not offered by {self.id}")
        counted = price.unit_of_measure.units if price.unit_of_measure else None
        if counted is not None and not all(value.isdigit() for value in self.characteristics.get(counted, ("",))):
            raise ValueError(f"{price.id}: priced per {counted}, which is not a numeric characteristic of {self.id}")
        for term in price.product_offering_term:
            if term.duration.amount not in self.terms:
                raise ValueError(f"{price.id}: term {term.duration.amount} is not one of {self.id}'s terms")


class Eligibility(_Model):
    """Who may use a promotion; a criterion left out admits everyone."""

    order_types: frozenset[OrderType] | None = None
    families: frozenset[Family] | None = None
    offerings: frozenset[str] | None = None
    min_term_months: int = 0


class Promotion(_Model):
    """A promotion code: a percentage off the MRC and/or the NRC, from `valid_from` to `valid_to` inclusive."""

    id: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]*$")]
    code: Annotated[str, Field(pattern=r"^[A-Z0-9]+$")]
    name: Annotated[str, Field(min_length=1)]
    valid_from: date
    valid_to: date
    eligibility: Eligibility
    mrc_discount_percent: Percent = Decimal(0)
    nrc_discount_percent: Percent = Decimal(0)

    @model_validator(mode="after")
    def _sensible(self) -> "Promotion":
        if self.valid_to < self.valid_from:
            raise ValueError(f"{self.id}: validTo is before validFrom")
        if not (self.mrc_discount_percent or self.nrc_discount_percent):
            raise ValueError(f"{self.id}: takes nothing off the MRC or the NRC")
        return self


class Catalogue(_Model):
    version: str
    currency: Literal["USD"]
    product_offering: tuple[ProductOffering, ...]
    promotion: tuple[Promotion, ...] = ()

    @cached_property
    def offerings(self) -> dict[str, ProductOffering]:
        return {offering.id: offering for offering in self.product_offering}

    @cached_property
    def promotions(self) -> dict[str, Promotion]:
        """Promotions by the code a rep enters on an order item."""
        return {promotion.code: promotion for promotion in self.promotion}

    @model_validator(mode="after")
    def _unique_and_resolvable(self) -> "Catalogue":
        prices = [price for offering in self.product_offering for price in offering.product_offering_price]
        for label, ids in (
            ("offering id", [offering.id for offering in self.product_offering]),
            ("price id", [price.id for price in prices]),
            ("promotion id", [promotion.id for promotion in self.promotion]),
            ("promotion code", [promotion.code for promotion in self.promotion]),
        ):
            if repeated := sorted({value for value in ids if ids.count(value) > 1}):
                raise ValueError(f"{label} listed twice: {', '.join(repeated)}")
        if foreign := sorted({p.id for p in prices if p.price and p.price.unit != self.currency}):
            raise ValueError(f"prices not in {self.currency}: {', '.join(foreign)}")
        for promotion in self.promotion:
            if unknown := sorted((promotion.eligibility.offerings or set()) - set(self.offerings)):
                raise ValueError(f"{promotion.id}: eligibility names unknown offerings {', '.join(unknown)}")
        return self


def load_catalogue(directory: Path) -> Catalogue:
    """The highest-numbered `catalogue.vN.json` in `directory`."""
    versions = {
        int(match[1]): path
        for path in directory.glob("catalogue.v*.json")
        if (match := re.fullmatch(r"catalogue\.v(\d+)\.json", path.name))
    }
    if not versions:
        raise CatalogueError(f"no catalogue.vN.json in {directory}")
    path = versions[max(versions)]
    try:
        # Prices are read as Decimal straight from the JSON text: a float never holds money.
        document = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        return Catalogue.model_validate(document)
    except json.JSONDecodeError as error:
        raise CatalogueError(f"{path.name} line {error.lineno}: not valid JSON: {error.msg}") from error
    except ValidationError as error:
        # Naming each offering and price by its id as well as its position.
        raise CatalogueError(f"{path.name}: {described(field_problems(error, document, quoting=True))}") from error

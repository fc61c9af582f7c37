"""What serviceability decides by: the policy (DOMAIN.md's numbers) and the offerings served at a site.

Both are data files, versioned by name, that rules_in_force.py reads once at start; a malformed file stops the
service there with the reason. The offerings file is a seed: once pricing-approval's catalogue is heard
(catalogue.published), the site offerings come from it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from orderdesk_shared.calendar import CalendarReference
from orderdesk_shared.events.pricing_approval import CatalogueOffering

BANDWIDTH = "bandwidth_mbps"
CENT = Decimal("0.01")


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NearNetRule(_Rule):
    max_distance_to_fiber_ft: int = Field(gt=0)


class ConstructionRule(_Rule):
    base: Decimal = Field(ge=0)
    per_foot: Decimal = Field(ge=0)

    def estimate(self, distance_to_fiber_ft: int) -> Decimal:
        """Construction estimate = base + per foot x route distance to our plant."""
        return (self.base + self.per_foot * distance_to_fiber_ft).quantize(CENT)


class OffNetRule(_Rule):
    offering_families: frozenset[str] = Field(min_length=1)
    vendor_cost_share: Decimal = Field(gt=0, le=1)

    def vendor_cost(self, list_mrc: Decimal) -> Decimal:
        """What the Type-2 access vendor charges a month for an item with this list MRC."""
        return (list_mrc * self.vendor_cost_share).quantize(CENT)


class SiteSurveyRule(_Rule):
    business_calendar: CalendarReference
    sla_business_days: int = Field(ge=1)

    def due(self, opened_at: datetime) -> datetime:
        """When a survey opened at `opened_at` is due: that many business days later, at the same time of day."""
        return self.business_calendar.add_business_days(opened_at, self.sla_business_days)


class Policy(_Rule):
    version: str
    near_net: NearNetRule
    construction: ConstructionRule
    off_net: OffNetRule
    site_survey: SiteSurveyRule

    @field_validator("construction", "off_net", mode="before")
    @classmethod
    def _amounts_are_written_exactly(cls, value: dict) -> dict:
        floats = [name for name, amount in value.items() if isinstance(amount, float)]
        if floats:
            raise ValueError(f'write {", ".join(floats)} as a string (e.g. "15000.00"), so it stays exact')
        return value


class SiteOffering(_Rule):
    id: str
    family: str
    bandwidth_tiers_mbps: tuple[int, ...] = ()

    def highest_tier_within(self, max_bandwidth_mbps: int) -> int | None:
        """The fastest tier of this offering a location with `max_bandwidth_mbps` can carry, if any."""
        return max((tier for tier in self.bandwidth_tiers_mbps if tier <= max_bandwidth_mbps), default=None)


@dataclass(frozen=True)
class Rules:
    policy: Policy
    offerings: dict[str, SiteOffering]


def site_offerings(offerings: Iterable[CatalogueOffering]) -> dict[str, SiteOffering]:
    """The catalogue's offerings delivered at a site, with their family and bandwidth tiers."""
    return {
        offering.id: SiteOffering(
            id=offering.id,
            family=offering.family,
            bandwidth_tiers_mbps=tuple(
                int(value)
                for characteristic in offering.characteristics
                if characteristic.name == BANDWIDTH
                for value in characteristic.values
            ),
        )
        for offering in offerings
        if offering.requires_service_location
    }

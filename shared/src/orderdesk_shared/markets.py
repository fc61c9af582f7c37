"""Markets: which market a site is in, and which billing system bills it (policies/markets.v1.toml).

Intake opens a client's billing account in each billing system its sites' markets bill on; fulfillment-handoff
looks up the billing codes of each item's market. Both read this one file, checked when they start: a malformed
file stops the service with the file, the place and the field.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from orderdesk_shared.events.order import Address
from orderdesk_shared.toml_files import read_toml

DEFAULT_MARKETS = Path(__file__).resolve().parents[2] / "policies" / "markets.v1.toml"


class MarketsFileError(ValueError):
    """The markets file is malformed; the message names the file, the place and the field."""


@dataclass(frozen=True)
class Market:
    code: str
    name: str
    billing_system: str
    states: tuple[str, ...]
    zip_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class Markets:
    markets: tuple[Market, ...]
    version: str

    def named(self, code: str) -> Market | None:
        return next((market for market in self.markets if market.code == code), None)

    def market_for(self, address: Address) -> Market | None:
        """The market listing the longest prefix of the address's ZIP code, else the one listing its state."""
        by_zip = [
            (len(prefix), market)
            for market in self.markets
            for prefix in market.zip_prefixes
            if address.postcode.startswith(prefix)
        ]
        if by_zip:
            return max(by_zip, key=lambda found: found[0])[1]
        state = address.state_or_province.upper()
        return next((market for market in self.markets if state in market.states), None)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _MarketRow(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    name: Annotated[str, Field(min_length=1)]
    billing_system: Literal["CSG", "ICOMS"]
    states: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]]
    zip_prefixes: list[Annotated[str, StringConstraints(pattern=r"^\d{1,5}$")]]

    @model_validator(mode="after")
    def _covers_somewhere(self) -> "_MarketRow":
        if not self.states and not self.zip_prefixes:
            raise ValueError("a market needs at least one state or ZIP prefix")
        return self


class _MarketsFile(_Strict):
    version: str
    markets: Annotated[list[_MarketRow], Field(min_length=1)]


def load_markets(path: Path = DEFAULT_MARKETS) -> Markets:
    """The markets of the file, each state and ZIP prefix in one market only."""
    document = read_toml(path, _MarketsFile, error=MarketsFileError)
    owners: dict[str, str] = {}
    for index, row in enumerate(document.markets):
        for field, places in (("code", [row.code]), ("states", row.states), ("zip_prefixes", row.zip_prefixes)):
            for place in places:
                if (owner := owners.setdefault(f"{field}:{place}", row.code)) != row.code or places.count(place) > 1:
                    raise MarketsFileError(
                        f"{path.name} markets[{index}] ({row.code}), field '{field}': {place} is listed twice"
                        f" (also by {owner})"
                    )
    return Markets(
        markets=tuple(
            Market(row.code, row.name, row.billing_system, tuple(row.states), tuple(row.zip_prefixes))
            for row in document.markets
        ),
        version=document.version,
    )

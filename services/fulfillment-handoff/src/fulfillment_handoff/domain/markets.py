"""Markets: which market a site is in, and which billing system bills it."""

from dataclasses import dataclass

from orderdesk_shared.events.order import Address


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

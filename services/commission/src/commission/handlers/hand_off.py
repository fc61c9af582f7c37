"""A handed-off order to ratify, with the day it is ratified on."""

from dataclasses import dataclass
from datetime import date

from commission.domain.ratification import account_key
from orderdesk_shared.events.fulfillment import OrderHandedOff


@dataclass(frozen=True)
class HandOff:
    """A handed-off order to ratify, and the day it is ratified on."""

    event: OrderHandedOff
    order_date: date

    @property
    def account(self) -> str:
        return _account(self.event)


def _account(event: OrderHandedOff) -> str:
    return account_key(event.order.account)

"""Where each order rests once nothing is in flight: ended, waiting with a reason, dead-lettered, or unaccounted."""

from collections.abc import Iterable
from dataclasses import dataclass

from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_stack.invariants.rules import (
    CANCELLING_STATES,
    ENDED_STATES,
    NEEDS_A_REASON_TO_END,
    WAITING_FOR_PEOPLE,
    Ending,
)


@dataclass(frozen=True)
class OrderAccount:
    """Where one order rests, in which TMF622 state, and why (what ended it, what it waits for, what failed)."""

    order_id: str
    ending: Ending
    state: str
    reason: str


@dataclass(frozen=True)
class OrderAtIntake:
    """What intake, which answers TMF622 clients, says of an order."""

    order_id: str
    state: str
    stage: str
    version: int
    findings: list[str]


@dataclass(frozen=True)
class Elsewhere:
    """What another service records about why an order of a version waits."""

    version: int
    reason: str
    with_operations: bool = False


def account_for(order: OrderAtIntake, *, elsewhere: Iterable[Elsewhere], dead_letters: list[str]) -> OrderAccount:
    """Where an order rests, judged once nothing is in flight: ended, waiting with a reason, dead-lettered with a
    reason, or unaccounted (lost)."""
    current = [reason for reason in elsewhere if reason.version == order.version]
    people = "; ".join([*order.findings, *(reason.reason for reason in current if not reason.with_operations)])
    operations = "; ".join(reason.reason for reason in current if reason.with_operations)

    def account(ending: Ending, reason: str) -> OrderAccount:
        return OrderAccount(order.order_id, ending, order.state, reason)

    if order.state in ENDED_STATES:
        return account("ended", people or f"{order.state} at {order.stage}")
    if order.state in NEEDS_A_REASON_TO_END and people:
        return account("ended", people)
    if dead_letters:
        return account("dead_lettered", "; ".join(dead_letters))
    if order.state in WAITING_FOR_PEOPLE and people:
        return account("waiting", people)
    if _operations_has_it(order) and operations:
        return account("waiting", operations)
    return account(
        "unaccounted", f"{order.state} at {order.stage} (version {order.version}), and nothing anywhere says why"
    )


def _operations_has_it(order: OrderAtIntake) -> bool:
    """Handed off and being installed, or being stopped: Operations moves it on, not OrderDesk."""
    if order.state in CANCELLING_STATES:
        return True
    return order.state == OrderState.IN_PROGRESS and Stage(order.stage).rank >= Stage.HANDED_OFF.rank

"""Where an order stands: its stage moves only forward; its TMF state follows stage and fallout."""

from collections.abc import Iterable
from dataclasses import dataclass

from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.order import OrderState, Stage

_STATE_AFTER_FALLOUT: dict[FalloutKind, OrderState] = {
    FalloutKind.REJECTED: OrderState.REJECTED,
    FalloutKind.PENDING: OrderState.PENDING,
    FalloutKind.HELD: OrderState.HELD,
    FalloutKind.RELEASED: OrderState.IN_PROGRESS,
    FalloutKind.CANCELLED: OrderState.CANCELLED,
}

_FINAL_STATES = frozenset({OrderState.CANCELLED, OrderState.COMPLETED})
_UNCHANGEABLE_STATES = _FINAL_STATES | {OrderState.FAILED}


@dataclass(frozen=True)
class StageReport:
    """A later service's news that an order's version reached a stage."""

    order_id: str
    version: int
    reached: Stage


def stage_after(stage: Stage, version: int, reports: Iterable[StageReport]) -> Stage | None:
    """The furthest stage the reports about this version of the order (or a later one) reach past `stage`; None
    when they move it nothing (older or repeated news, or news about a version corrected since)."""
    reached = [report.reached for report in reports if report.version >= version]
    furthest = max(reached, key=lambda stage_reached: stage_reached.rank, default=None)
    return furthest if furthest is not None and furthest.rank > stage.rank else None


def state_after_fallout(current: OrderState, kind: FalloutKind) -> OrderState | None:
    """The state a fallout record moves the order to, or None when it changes no state."""
    if current in _FINAL_STATES:
        return None
    return _STATE_AFTER_FALLOUT.get(kind)


def changeable(state: OrderState, stage: Stage) -> bool:
    """Whether the desk may still correct or cancel the order: not ended, and not yet handed to Operations."""
    return state not in _UNCHANGEABLE_STATES and stage.rank < Stage.HANDED_OFF.rank

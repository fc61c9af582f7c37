"""Where an order stands: its stage moves only forward; its TMF state follows stage and fallout."""

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


def stages_before(reached: Stage) -> frozenset[Stage]:
    """The stages an order may move on from to `reached`: the earlier ones (older or repeated news moves nothing)."""
    return frozenset(stage for stage in Stage if stage.rank < reached.rank)


def state_after_fallout(current: OrderState, kind: FalloutKind) -> OrderState | None:
    """The state a fallout record moves the order to, or None when it changes no state."""
    if current in _FINAL_STATES:
        return None
    return _STATE_AFTER_FALLOUT.get(kind)


def changeable(state: OrderState, stage: Stage) -> bool:
    """Whether the desk may still correct or cancel the order: not ended, and not yet handed to Operations."""
    return state not in _UNCHANGEABLE_STATES and stage.rank < Stage.HANDED_OFF.rank

"""The one mapping from the facts about an order to its TMF622 state, and each of its items' states.

Intake answers TMF622 clients with it and the console shows the desk the same order: both fold the
facts they hear with `advance`, so the two never disagree. The facts arrive on several topics, each
at its own pace, so the mapping judges each fact by what it is about (its version, and the stage a
fallout happened at) rather than by when it arrives:

- a later version starts the order over; news about an earlier one changes nothing;
- a stop (rejected, pending, held) raised at a stage the order has moved past is stale; reaching a
  stage past the one that stopped the order resumes it;
- from the hand-off on, Operations' own reports drive the state: accepted, (re)scheduled → in
  progress; failed → failed (the desk's to resolve; a new date resumes it); installed → completed
  once every item is; cancelled → cancelled; some items installed and the others cancelled → partial;
- a cancel before the hand-off ends the order at once; after it, the order is assessing its
  cancellation until Operations has the request (pending cancellation), then cancelled when
  Operations confirms, or completed if Operations installed it first;
- completed, partial and cancelled are final.

Pure: no I/O, no clock.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.intake import OrderReceived, OrderValidated
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified

STAGE_REACHED_BY: dict[type[Event], Stage] = {
    OrderReceived: Stage.RECEIVED,
    OrderValidated: Stage.VALIDATED,
    ServiceabilityQualified: Stage.QUALIFIED,
    OrderPriced: Stage.PRICED,
    OrderApproved: Stage.APPROVED,
    OrderHandedOff: Stage.HANDED_OFF,
    OrderRatified: Stage.RATIFIED,
}
# The kind of fact for each Operations status, and for fulfillment asking Operations to stop the work.
OPS_KIND_PREFIX = "ops-"
HAND_OFF_CANCELLED = "hand-off-cancelled"
DOWNSTREAM_REJECT = "DOWNSTREAM_REJECT"

FINAL_STATES = frozenset({OrderState.COMPLETED, OrderState.PARTIAL, OrderState.CANCELLED})
STOPPED_STATES = frozenset({OrderState.REJECTED, OrderState.PENDING, OrderState.HELD})
CANCELLING_STATES = frozenset({OrderState.ASSESSING_CANCELLATION, OrderState.PENDING_CANCELLATION})
_STOP_STATE = {
    FalloutKind.REJECTED: OrderState.REJECTED,
    FalloutKind.PENDING: OrderState.PENDING,
    FalloutKind.HELD: OrderState.HELD,
}
# What each Operations report makes of the items it is about (None: the item is being worked on again).
_ITEM_OUTCOME: dict[OpsStatus, OrderState | None] = {
    OpsStatus.ACCEPTED: None,
    OpsStatus.SCHEDULED: None,
    OpsStatus.RESCHEDULED: None,
    OpsStatus.INSTALLED: OrderState.COMPLETED,
    OpsStatus.FAILED: OrderState.FAILED,
    OpsStatus.CANCELLED: OrderState.CANCELLED,
}
_ITEM_FINAL = frozenset({OrderState.COMPLETED, OrderState.CANCELLED})
# Where Operations' outcomes are kept when no item of the order is known (a version heard of before its items).
_WHOLE_ORDER = ""


@dataclass(frozen=True)
class OrderFact:
    """One fact about an order as the mapping reads it.

    `kind` is a stage reached (`validated`, ...), a fallout kind (`held`, ...), `ops-<status>` for a report
    from Operations, or `hand-off-cancelled`. `stage` is where a fallout happened; `item_ids` are the items an
    Operations report is about (every item when empty), or the items of a received version.
    """

    version: int
    kind: str
    stage: Stage | None = None
    findings: tuple[dict[str, Any], ...] = ()
    item_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderStatus:
    """Where an order stands: its version, the furthest stage it reached, its TMF state and what stops it."""

    version: int
    stage: Stage
    state: OrderState
    item_ids: tuple[str, ...] = ()
    # The stage whose fallout stopped the order (held, pending, rejected): reaching a later one resumes it.
    stopped_at: Stage | None = None
    findings: tuple[dict[str, Any], ...] = ()
    # What Operations last made of each item it reported on: completed, failed, cancelled (absent: in progress).
    item_outcomes: Mapping[str, OrderState] = field(default_factory=dict)

    def item_state(self, item_id: str) -> OrderState:
        """The TMF622 state of one item: its own outcome at Operations, else the order's."""
        if outcome := self.item_outcomes.get(item_id):
            return outcome
        # Another item failed: this one is still being worked on.
        return OrderState.IN_PROGRESS if self.state is OrderState.FAILED else self.state


def received(version: int, item_ids: Sequence[str]) -> OrderStatus:
    """A version of an order as it is received: acknowledged, nothing decided yet."""
    return OrderStatus(version=version, stage=Stage.RECEIVED, state=OrderState.ACKNOWLEDGED, item_ids=tuple(item_ids))


def fold(facts: Iterable[OrderFact]) -> OrderStatus | None:
    """The status the facts give, in the order given (None until a version is received)."""
    status: OrderStatus | None = None
    for fact in facts:
        status = advance(status, fact)
    return status


def advance(status: OrderStatus | None, fact: OrderFact) -> OrderStatus | None:
    """The status after one more fact; facts about an earlier version, and stale or repeated ones, change nothing."""
    if status is None:
        return received(fact.version, fact.item_ids) if fact.kind == Stage.RECEIVED else None
    if fact.version < status.version:
        return status
    if fact.version > status.version:
        # A correction starts the flow again (its received line normally comes first, but need not).
        status = received(fact.version, fact.item_ids if fact.kind == Stage.RECEIVED else status.item_ids)
        if fact.kind == Stage.RECEIVED:
            return status
    if fact.kind in _STAGES:
        return _reach(status, Stage(fact.kind))
    if status.state in FINAL_STATES:
        return status
    if fact.kind in _FALLOUT_KINDS:
        return _fall_out(status, FalloutKind(fact.kind), fact)
    if fact.kind.startswith(OPS_KIND_PREFIX):
        return _operations_report(status, OpsStatus(fact.kind.removeprefix(OPS_KIND_PREFIX)), fact)
    if fact.kind == HAND_OFF_CANCELLED and status.state is OrderState.ASSESSING_CANCELLATION:
        return replace(status, state=OrderState.PENDING_CANCELLATION)
    return status


_STAGES = frozenset(Stage)
_FALLOUT_KINDS = frozenset(FalloutKind)


def _reach(status: OrderStatus, stage: Stage) -> OrderStatus:
    furthest = stage if stage.rank > status.stage.rank else status.stage
    moved = replace(status, stage=furthest)
    if status.state is OrderState.ACKNOWLEDGED and stage is not Stage.RECEIVED:
        return replace(moved, state=OrderState.IN_PROGRESS)
    stopped_before = status.stopped_at is not None and status.stopped_at.rank < stage.rank
    if status.state in STOPPED_STATES and stopped_before:
        return replace(moved, state=OrderState.IN_PROGRESS, stopped_at=None, findings=())
    return moved


def _fall_out(status: OrderStatus, kind: FalloutKind, fact: OrderFact) -> OrderStatus:
    match kind:
        case FalloutKind.CANCELLED:
            return replace(status, state=OrderState.CANCELLED, stopped_at=None, findings=fact.findings)
        case FalloutKind.CANCELLATION_REQUESTED:
            if status.state in CANCELLING_STATES:
                return status
            return replace(status, state=OrderState.ASSESSING_CANCELLATION, stopped_at=None, findings=fact.findings)
        case FalloutKind.JEOPARDY | FalloutKind.ESCALATED:
            return status
    stage = fact.stage or status.stage
    if status.state in CANCELLING_STATES or _in_fulfillment(stage):
        # Once handed off, Operations' own reports say what happened; the desk's fallout about them is a record.
        return status
    if kind is FalloutKind.RELEASED:
        if status.state in STOPPED_STATES and (status.stopped_at is None or status.stopped_at.rank <= stage.rank):
            return replace(status, state=OrderState.IN_PROGRESS, stopped_at=None, findings=())
        return status
    if stage.rank < status.stage.rank or status.state is OrderState.FAILED:
        return status  # the order has moved past where this stop was raised
    return replace(status, state=_STOP_STATE[kind], stopped_at=stage, findings=fact.findings)


def _in_fulfillment(stage: Stage) -> bool:
    return stage.rank >= Stage.HANDED_OFF.rank


def _operations_report(status: OrderStatus, ops_status: OpsStatus, fact: OrderFact) -> OrderStatus:
    every_item = status.item_ids or fact.item_ids or (_WHOLE_ORDER,)
    reported = fact.item_ids or every_item
    outcomes = dict(status.item_outcomes)
    for item_id in reported:
        if outcomes.get(item_id) in _ITEM_FINAL:
            continue
        if (outcome := _ITEM_OUTCOME[ops_status]) is None:
            outcomes.pop(item_id, None)
        else:
            outcomes[item_id] = outcome
    ends = [outcomes.get(item_id) for item_id in every_item]
    reported_status = replace(status, item_outcomes=outcomes)
    if all(outcome is OrderState.COMPLETED for outcome in ends):
        return replace(reported_status, state=OrderState.COMPLETED, stopped_at=None, findings=())
    if all(outcome is OrderState.CANCELLED for outcome in ends):
        return replace(reported_status, state=OrderState.CANCELLED, stopped_at=None, findings=fact.findings)
    if all(outcome in _ITEM_FINAL for outcome in ends):
        return replace(reported_status, state=OrderState.PARTIAL, stopped_at=None, findings=())
    if any(outcome is OrderState.FAILED for outcome in ends):
        failure = fact.findings if ops_status is OpsStatus.FAILED else status.findings
        return replace(reported_status, state=OrderState.FAILED, stopped_at=None, findings=failure)
    if status.state in CANCELLING_STATES:
        return reported_status
    return replace(reported_status, state=OrderState.IN_PROGRESS, stopped_at=None, findings=())


def fact_of(event: Event) -> OrderFact | None:
    """The fact an event records about its order's state; None for events that change no state."""
    version = event.order_version
    match event:
        case OrderReceived():
            return OrderFact(version, Stage.RECEIVED, Stage.RECEIVED, item_ids=tuple(i.id for i in event.order.items))
        case OrderFallout():
            return OrderFact(version, str(event.kind), event.stage, findings=findings_json(event.findings))
        case OpsOrderStatusChanged():
            return OrderFact(
                version,
                OPS_KIND_PREFIX + event.status,
                Stage.HANDED_OFF,
                findings=ops_findings(event),
                item_ids=tuple(event.item_ids),
            )
        case HandOffCancelled():
            return OrderFact(version, HAND_OFF_CANCELLED, Stage.HANDED_OFF)
    stage = STAGE_REACHED_BY.get(type(event))
    return OrderFact(version, str(stage), stage) if stage is not None else None


def ops_findings(report: OpsOrderStatusChanged) -> tuple[dict[str, Any], ...]:
    """What the desk is shown of an Operations report: why an installation failed, or why the work was stopped."""
    if report.status is OpsStatus.FAILED:
        finding = Finding(
            reason_code=DOWNSTREAM_REJECT,
            field_path=_items_path(report.item_ids),
            message=f"Operations failed the installation: {report.reason or 'no reason given'}",
            fix="Agree the next step with Operations and the customer: a new date resumes the order.",
        )
        return findings_json([finding])
    if report.status is OpsStatus.CANCELLED:
        message = "Operations stopped the work" + (f": {report.reason}" if report.reason else "")
        stopped = Finding(reason_code="CANCELLED", field_path=_items_path(report.item_ids), message=message)
        return findings_json([stopped])
    return ()


def _items_path(item_ids: Sequence[str]) -> str | None:
    return f"items[{','.join(item_ids)}]" if item_ids else None


def findings_json(findings: Iterable[Finding]) -> tuple[dict[str, Any], ...]:
    return tuple(finding.model_dump(mode="json", by_alias=True, exclude_none=True) for finding in findings)

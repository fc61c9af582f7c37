"""The order timeline: each event becomes a line (who, what, when, why); folding the lines gives the order's row."""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.intake import OrderReceived, OrderValidated
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
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

JEOPARDY_LEVELS = ("medium", "high", "critical")
# Pricing-approval's pending record of the approvals an order waits for: approvers' work, not the rep's.
APPROVAL_REQUIRED = "PRICING_APPROVAL_REQUIRED"

_STATE_AFTER_FALLOUT = {
    FalloutKind.REJECTED: OrderState.REJECTED,
    FalloutKind.PENDING: OrderState.PENDING,
    FalloutKind.HELD: OrderState.HELD,
    FalloutKind.RELEASED: OrderState.IN_PROGRESS,
    FalloutKind.CANCELLED: OrderState.CANCELLED,
}
_STATE_AFTER_OPS = {OpsStatus.INSTALLED: OrderState.COMPLETED, OpsStatus.FAILED: OrderState.FAILED}
_FALLOUT_KINDS = frozenset(FalloutKind)
_ENDED = frozenset({OrderState.CANCELLED, OrderState.COMPLETED, OrderState.FAILED})


@dataclass(frozen=True)
class Recorded:
    """Where an event came from: its CloudEvent id, producer, time, topic and trace."""

    message_id: str
    source: str
    occurred_at: datetime
    topic: str
    trace_id: str | None


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an order's timeline."""

    message_id: str
    order_id: str
    order_version: int
    occurred_at: datetime
    topic: str
    event_type: str
    source: str
    # What happened, in one word: a stage reached, a fallout kind, an Operations status, a commission change.
    kind: str
    stage: Stage | None
    actor: str
    what: str
    why: list[dict[str, Any]] = field(default_factory=list)
    trace_id: str | None = None
    order: dict[str, Any] | None = None
    # Whose move it is once this line is written (the approvers a priced order waits for).
    awaiting: str | None = None


@dataclass(frozen=True)
class OrderRow:
    """An order as the console shows it: where it is, since when, what blocks it, and who has it."""

    id: str
    order_version: int
    stage: Stage
    state: OrderState
    stage_entered_at: datetime
    received_at: datetime
    last_event_at: datetime
    last_event: str
    findings: list[dict[str, Any]]
    blocker: str | None
    trace_id: str | None
    jeopardy: str | None
    assignee: str | None
    channel: str | None = None
    order_type: str | None = None
    account: str | None = None
    submitted_by: str | None = None
    external_id: str | None = None
    sales_reps: str | None = None
    # When the current version reached these stages: the dashboard's throughput counts them.
    handed_off_at: datetime | None = None
    ratified_at: datetime | None = None


def entry_for(event: Event, recorded: Recorded) -> TimelineEntry:
    """The timeline line an event makes: who did what, and why when it left the happy path."""
    line = TimelineEntry(
        message_id=recorded.message_id,
        order_id=event.order_id,
        order_version=event.order_version,
        occurred_at=recorded.occurred_at,
        topic=recorded.topic,
        event_type=event.event_type,
        source=recorded.source,
        kind="",
        stage=None,
        actor=recorded.source,
        what="",
        trace_id=recorded.trace_id,
    )
    match event:
        case OrderFallout():
            why = [finding.model_dump(mode="json", by_alias=True, exclude_none=True) for finding in event.findings]
            reasons = ", ".join(dict.fromkeys(finding.reason_code for finding in event.findings))
            what = f"{event.kind} at {event.stage}" + (f": {reasons}" if reasons else "")
            return _corrected(replace(line, kind=str(event.kind), stage=event.stage, what=what, why=why), event)
        case OpsOrderStatusChanged():
            what = f"Operations: {event.status}" + (f" ({event.reason})" if event.reason else "")
            return replace(line, kind=f"ops-{event.status}", actor="operations", what=what)
        case CommissionAdjusted():
            what = f"commission adjusted for {event.rep_id} by {event.amount}: {event.reason}"
            return replace(line, kind="commission-adjusted", what=what)
    stage = STAGE_REACHED_BY[type(event)]
    line = replace(line, kind=str(stage), stage=stage, what=_stage_summary(event, stage))
    match event:
        case OrderReceived():
            return replace(line, actor=event.order.submitted_by or recorded.source, order=_order_summary(event.order))
        case OrderPriced():
            return replace(line, awaiting=", ".join(r.role for r in event.required_approvals) or None)
        case OrderValidated():
            return _corrected(line, event)
        case OrderApproved():
            approvers = ", ".join(f"{grant.approver} ({grant.role})" for grant in event.approvals)
            return replace(line, actor=approvers or "automatic")
    return line


def _corrected(line: TimelineEntry, event: OrderValidated | OrderFallout) -> TimelineEntry:
    """Intake's verdict on a correction is the corrector's doing: the line names them."""
    if event.corrected_by is None:
        return line
    return replace(line, actor=event.corrected_by, what=f"corrected, then {line.what}")


def _stage_summary(event: Event, stage: Stage) -> str:
    match event:
        case OrderReceived():
            return f"received {event.order.order_type} order by {event.order.channel}"
        case OrderPriced():
            waiting = ", ".join(requirement.role for requirement in event.required_approvals)
            total = event.pricing.total_contract_value
            return f"priced: TCV {total}" + (f", awaiting {waiting}" if waiting else ", approved automatically")
        case OrderHandedOff():
            return f"handed off to Operations on the {event.processing_path} path"
        case OrderRatified():
            return f"ratified: commission {event.commission_total}" if event.eligible else "ratified: not eligible"
    return str(stage)


def _order_summary(order: ProductOrder) -> dict[str, Any]:
    return {
        "channel": str(order.channel),
        "orderType": str(order.order_type),
        "account": order.account.id or order.account.legal_name,
        "submittedBy": order.submitted_by,
        "externalId": order.external_id,
        "salesReps": [rep.rep_id for rep in order.sales_reps],
    }


def fold(entries: Iterable[TimelineEntry]) -> OrderRow | None:
    """The order's row from its whole timeline, in time order; news about an earlier version is history only."""
    row: OrderRow | None = None
    for entry in sorted(entries, key=lambda e: (e.occurred_at, e.order_version, _rank(e), e.message_id)):
        row = _apply(row, entry)
    return row


def _rank(entry: TimelineEntry) -> int:
    # Lines recorded in the same instant (received and validated share a transaction) keep the flow's order.
    return entry.stage.rank if entry.stage is not None and entry.kind == entry.stage else len(Stage)


def _apply(row: OrderRow | None, entry: TimelineEntry) -> OrderRow | None:
    if row is None:
        if entry.kind != Stage.RECEIVED:
            return None  # what comes before an order is known waits for its received line
        return OrderRow(
            id=entry.order_id,
            order_version=entry.order_version,
            stage=Stage.RECEIVED,
            state=OrderState.ACKNOWLEDGED,
            stage_entered_at=entry.occurred_at,
            received_at=entry.occurred_at,
            last_event_at=entry.occurred_at,
            last_event=entry.what,
            findings=[],
            blocker=None,
            trace_id=entry.trace_id,
            jeopardy=None,
            assignee=None,
            **_summary_fields(entry),
        )
    if entry.order_version < row.order_version:
        return row
    row = replace(row, last_event_at=entry.occurred_at, last_event=entry.what)
    if entry.order_version > row.order_version:
        # A corrected order starts the flow again from its new received line.
        row = replace(
            row,
            order_version=entry.order_version,
            stage=Stage.RECEIVED,
            state=OrderState.ACKNOWLEDGED,
            stage_entered_at=entry.occurred_at,
            findings=[],
            blocker=None,
            jeopardy=None,
            assignee=None,
            handed_off_at=None,
            ratified_at=None,
        )
    if entry.kind == Stage.RECEIVED and entry.order:
        row = replace(row, **_summary_fields(entry))
    if entry.stage is not None and entry.kind == entry.stage:
        return _reach_stage(row, entry)
    if entry.kind in _FALLOUT_KINDS:
        return _fall_out(row, entry)
    if entry.kind.startswith("ops-"):
        state = _STATE_AFTER_OPS.get(OpsStatus(entry.kind.removeprefix("ops-")))
        return replace(row, state=state) if state and row.state not in _ENDED else row
    return row


def _summary_fields(entry: TimelineEntry) -> dict[str, Any]:
    order = entry.order or {}
    return {
        "channel": order.get("channel"),
        "order_type": order.get("orderType"),
        "account": order.get("account"),
        "submitted_by": order.get("submittedBy"),
        "external_id": order.get("externalId"),
        "sales_reps": ", ".join(order.get("salesReps", [])) or None,
    }


def _reach_stage(row: OrderRow, entry: TimelineEntry) -> OrderRow:
    assert entry.stage is not None
    if entry.stage.rank <= row.stage.rank and entry.stage is not Stage.RECEIVED:
        return row
    state = row.state
    if state not in _ENDED and state is not OrderState.HELD:
        state = OrderState.ACKNOWLEDGED if entry.stage is Stage.RECEIVED else OrderState.IN_PROGRESS
    return replace(
        row,
        stage=entry.stage,
        state=state,
        stage_entered_at=entry.occurred_at,
        jeopardy=None,
        assignee=entry.awaiting,
        findings=row.findings if state is OrderState.HELD else [],
        blocker=row.blocker if state is OrderState.HELD else None,
        trace_id=row.trace_id or entry.trace_id,
        handed_off_at=entry.occurred_at if entry.stage is Stage.HANDED_OFF else row.handed_off_at,
        ratified_at=entry.occurred_at if entry.stage is Stage.RATIFIED else row.ratified_at,
    )


def _fall_out(row: OrderRow, entry: TimelineEntry) -> OrderRow:
    kind = FalloutKind(entry.kind)
    if kind is FalloutKind.JEOPARDY:
        return replace(row, jeopardy=_jeopardy_level(entry) or row.jeopardy or "high")
    if kind is FalloutKind.ESCALATED:
        return row
    if row.state in _ENDED:
        return row
    state = _STATE_AFTER_FALLOUT[kind]
    if kind is FalloutKind.RELEASED:
        return replace(row, state=state, findings=[], blocker=None)
    blocker = "; ".join(finding.get("message", "") for finding in entry.why) or entry.what
    if _awaits_approval(entry):
        assignee = row.assignee  # the approvers the priced line named
    else:
        assignee = {
            FalloutKind.REJECTED: row.submitted_by,
            FalloutKind.PENDING: row.submitted_by,
            FalloutKind.HELD: "specialist",
        }.get(kind)
    return replace(row, state=state, findings=entry.why, blocker=blocker, assignee=assignee)


def _awaits_approval(entry: TimelineEntry) -> bool:
    return bool(entry.why) and all(finding.get("reasonCode") == APPROVAL_REQUIRED for finding in entry.why)


def _jeopardy_level(entry: TimelineEntry) -> str | None:
    """The level the console's watchdog names in its finding's field path (`sla.<level>`); others say none."""
    for finding in entry.why:
        path = finding.get("fieldPath") or ""
        level = path.removeprefix("sla.")
        if level in JEOPARDY_LEVELS:
            return level
    return None

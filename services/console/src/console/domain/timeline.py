"""The order timeline: each event becomes a line (who, what, when, why); folding the lines gives the order's row.

The row's stage, TMF state, findings and item states are `orderdesk_shared.order_state`'s, folded from the facts the
lines record, so the console and intake's TMF622 API never disagree; the console keeps only its own bookkeeping
beside them (since when, whose move, jeopardy, blocker, when handed off and ratified).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.intake import OrderReceived, OrderValidated, ServiceRequestChanged
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced
from orderdesk_shared.order_state import (
    CANCELLING_STATES,
    HAND_OFF_CANCELLED,
    OPS_KIND_PREFIX,
    STAGE_REACHED_BY,
    STOPPED_STATES,
    OrderFact,
    OrderStatus,
    advance,
    findings_json,
    ops_findings,
)

JEOPARDY_LEVELS = ("medium", "high", "critical")
# The kind of the lines a service request makes: opened, its status or owner changed.
SERVICE_REQUEST = "service-request"
# Pricing-approval's pending record of the approvals an order waits for: approvers' work, not the rep's.
APPROVAL_REQUIRED = "PRICING_APPROVAL_REQUIRED"
# States in which the order waits on something its findings say: the row shows them as its blocker.
BLOCKED_STATES = STOPPED_STATES | CANCELLING_STATES | {OrderState.FAILED}
# Whose move it is in each state the order's facts put it in (rejected and pending: the rep who submitted it).
_WHOSE_MOVE = {
    OrderState.HELD: "specialist",
    OrderState.FAILED: "specialist",
    OrderState.ASSESSING_CANCELLATION: "operations",
    OrderState.PENDING_CANCELLATION: "operations",
}
_FALLOUT_KINDS = frozenset(FalloutKind)


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
    # Whose move it is once this line is written (the approvers a priced order waits for), and by when their
    # decisions are due (pricing-approval's due time from the approval matrix).
    awaiting: str | None = None
    awaiting_due_at: datetime | None = None
    # The items an Operations report is about (none: the whole order).
    item_ids: list[str] = field(default_factory=list)


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
    # Each item's TMF622 state, as intake's API shows it.
    item_states: dict[str, str] = field(default_factory=dict)
    # When the approvals a priced order waits for are due.
    awaiting_due_at: datetime | None = None


def entry_for(event: Event, recorded: Recorded) -> TimelineEntry:
    """The timeline line an event makes: who did what, and why when it left the happy path."""
    return TimelineEntry(
        message_id=recorded.message_id,
        order_id=event.order_id,
        order_version=event.order_version,
        occurred_at=recorded.occurred_at,
        topic=recorded.topic,
        event_type=event.event_type,
        source=recorded.source,
        trace_id=recorded.trace_id,
        **_what_happened(event, recorded.source),
    )


def _what_happened(event: Event, source: str) -> dict[str, Any]:
    """The line's kind, stage, actor and summary, with what else the event tells: its fields, gathered before the
    line is made (each copy of a frozen line sets every field again)."""
    match event:
        case OrderFallout():
            why = list(findings_json(event.findings))
            reasons = ", ".join(dict.fromkeys(finding.reason_code for finding in event.findings))
            what = f"{event.kind} at {event.stage}" + (f": {reasons}" if reasons else "")
            return _corrected(
                {"kind": str(event.kind), "stage": event.stage, "actor": source, "what": what, "why": why}, event
            )
        case OpsOrderStatusChanged():
            return {
                "kind": f"{OPS_KIND_PREFIX}{event.status}",
                "stage": None,
                "actor": event.reported_by or "operations",
                "what": _operations_summary(event),
                "why": list(ops_findings(event)),
                "item_ids": list(event.item_ids),
            }
        case HandOffCancelled():
            what = f"Operations asked to stop the work: {event.reason}"
            return {"kind": HAND_OFF_CANCELLED, "stage": None, "actor": event.requested_by or source, "what": what}
        case CommissionAdjusted():
            what = f"commission adjusted for {event.rep_id} by {event.amount}: {event.reason}"
            return {"kind": "commission-adjusted", "stage": None, "actor": source, "what": what}
        case ServiceRequestChanged():
            actor = event.request.changed_by
            return {"kind": SERVICE_REQUEST, "stage": None, "actor": actor, "what": _request_summary(event)}
    stage = STAGE_REACHED_BY[type(event)]
    line = {"kind": str(stage), "stage": stage, "actor": source, "what": _stage_summary(event, stage)}
    match event:
        case OrderReceived():
            return line | {"actor": event.order.submitted_by or source, "order": _order_summary(event.order)}
        case OrderPriced():
            due = [r.due_at for r in event.required_approvals if r.due_at is not None and r.status != "granted"]
            return line | {
                "awaiting": ", ".join(r.role for r in event.required_approvals) or None,
                "awaiting_due_at": max(due, default=None),
            }
        case OrderValidated():
            return _corrected(line, event)
        case OrderApproved():
            approvers = ", ".join(f"{grant.approver} ({grant.role})" for grant in event.approvals)
            return line | {"actor": approvers or "automatic"}
    return line


def _corrected(line: dict[str, Any], event: OrderValidated | OrderFallout) -> dict[str, Any]:
    """Intake's verdict on a correction is the corrector's doing: the line names them."""
    if event.corrected_by is None:
        return line
    return line | {"actor": event.corrected_by, "what": f"corrected, then {line['what']}"}


def _request_summary(change: ServiceRequestChanged) -> str:
    """What became of the request: opened for its owner with its due date, or its new status or owner."""
    request = change.request
    named = f"{request.title} {request.id}"
    if change.previous_status is None:
        due = request.due_at.isoformat(timespec="minutes")
        return f"{named} opened for {request.owner} ({request.department}), due {due}: {request.description}"
    moves = []
    if request.status != change.previous_status:
        moves.append(str(request.status).replace("_", " "))
    if change.previous_owner is not None:
        moves.append(f"reassigned from {change.previous_owner} to {request.owner}")
    what = f"{named} {', '.join(moves)}"
    return what + (f": {request.note}" if request.note else "")


def _operations_summary(report: OpsOrderStatusChanged) -> str:
    what = f"Operations: {report.status}"
    if report.effective_date:
        what += f" on {report.effective_date}"
    if report.item_ids:
        what += f" (items {', '.join(report.item_ids)})"
    return what + (f": {report.reason}" if report.reason else "")


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
        "itemIds": [item.id for item in order.items],
        # Who may sign the proposal for the customer.
        "contacts": [contact.name for contact in order.contacts],
        # Whom status notifications may mail for the customer.
        "contactEmails": [contact.email for contact in order.contacts if contact.email],
    }


def fact_of_line(entry: TimelineEntry) -> OrderFact | None:
    """The fact a timeline line records about its order's state, as `order_state.fact_of` reads it from the event."""
    if entry.kind == Stage.RECEIVED:
        item_ids = tuple((entry.order or {}).get("itemIds", ()))
        return OrderFact(entry.order_version, entry.kind, Stage.RECEIVED, item_ids=item_ids)
    if entry.stage is not None and entry.kind == entry.stage:
        return OrderFact(entry.order_version, entry.kind, entry.stage)
    if entry.kind in _FALLOUT_KINDS:
        return OrderFact(entry.order_version, entry.kind, entry.stage, findings=tuple(entry.why))
    if entry.kind.startswith(OPS_KIND_PREFIX):
        return OrderFact(
            entry.order_version, entry.kind, Stage.HANDED_OFF, findings=tuple(entry.why), item_ids=tuple(entry.item_ids)
        )
    if entry.kind == HAND_OFF_CANCELLED:
        return OrderFact(entry.order_version, entry.kind, Stage.HANDED_OFF)
    return None


# Where a line sorts in its order's timeline: by time; lines of the same instant (received and validated share a
# transaction) by version, then in the flow's order; then by id, so that every fold reads the lines alike.
LinePlace = tuple[datetime, int, int, str]


@dataclass(frozen=True)
class Folded:
    """An order's row, the status its facts give, and the place of the last line folded into them: what folding
    the lines after that place needs, without the lines before it."""

    row: OrderRow
    status: OrderStatus
    through: LinePlace


def fold(entries: Iterable[TimelineEntry]) -> OrderRow | None:
    """The order's row from its whole timeline, in time order; news about an earlier version is history only."""
    folded = fold_timeline(entries)
    return folded.row if folded is not None else None


def fold_timeline(entries: Iterable[TimelineEntry]) -> Folded | None:
    """`fold`, with what folding later lines on needs (None until the order's received line is among them)."""
    return _fold_on(None, entries)


def follows(folded: Folded, entries: Iterable[TimelineEntry]) -> bool:
    """Whether every line sorts after the last one folded, so that they can be folded on; a line that sorts at or
    before it (late news, or one folded already) needs the whole timeline folded again."""
    return all(place(entry) > folded.through for entry in entries)


def fold_on(folded: Folded, entries: Sequence[TimelineEntry]) -> Folded:
    """The row after more lines, which all `follow` the folded ones: the same row as folding the whole timeline."""
    if not follows(folded, entries):
        raise ValueError("only lines that sort after the folded ones can be folded on")
    on = _fold_on(folded, entries)
    assert on is not None, "an order's status stays known once it is"
    return on


def _fold_on(folded: Folded | None, entries: Iterable[TimelineEntry]) -> Folded | None:
    row, status, through = (folded.row, folded.status, folded.through) if folded is not None else (None, None, None)
    for entry in sorted(entries, key=place):
        fact = fact_of_line(entry)
        after = advance(status, fact) if fact is not None else status
        row = _apply(row, status, after, entry)
        status = after
        through = place(entry)
    if row is None or status is None or through is None:
        return None  # no received line yet
    return Folded(row, status, through)


def place(entry: TimelineEntry) -> LinePlace:
    """Where the line sorts in its order's timeline."""
    rank = entry.stage.rank if entry.stage is not None and entry.kind == entry.stage else len(Stage)
    return (entry.occurred_at, entry.order_version, rank, entry.message_id)


def _apply(
    row: OrderRow | None, before: OrderStatus | None, after: OrderStatus | None, entry: TimelineEntry
) -> OrderRow | None:
    """The row after one more line, given the order's status before and after the fact it records."""
    if after is None:
        return None  # what comes before an order is known waits for its received line
    started = before is None or after.version > before.version
    if started:
        row = _started(row, after, entry)
    elif entry.order_version < row.order_version:
        return row
    if entry.kind == Stage.RECEIVED and entry.order and entry.order_version == after.version:
        row = replace(row, **_summary_fields(entry))
    if entry.kind == FalloutKind.JEOPARDY:
        row = replace(row, jeopardy=_jeopardy_level(entry) or row.jeopardy or "high")
    if not started and after.stage is not before.stage:
        row = _entered_stage(row, after.stage, entry)
    if entry.kind == Stage.HANDED_OFF and entry.order_version == after.version:
        row = replace(row, handed_off_at=row.handed_off_at or entry.occurred_at)
    if started or (after.state, after.findings) != (before.state, before.findings):
        row = _changed_state(row, after, entry)
    # What every line changes, in one copy of the row (the rarer changes above make one each).
    return replace(
        row,
        last_event_at=entry.occurred_at,
        last_event=entry.what,
        item_states={item: str(after.item_state(item)) for item in after.item_ids},
    )


def _started(row: OrderRow | None, status: OrderStatus, entry: TimelineEntry) -> OrderRow:
    """A new order, or a corrected one starting the flow again: nothing of the earlier version's step carries over."""
    started = OrderRow(
        id=entry.order_id,
        order_version=status.version,
        stage=status.stage,
        state=status.state,
        stage_entered_at=entry.occurred_at,
        received_at=entry.occurred_at,
        last_event_at=entry.occurred_at,
        last_event=entry.what,
        findings=[],
        blocker=None,
        trace_id=entry.trace_id,
        jeopardy=None,
        assignee=entry.awaiting,
        awaiting_due_at=entry.awaiting_due_at,
    )
    if row is None:
        return started
    kept = {name: getattr(row, name) for name in ("received_at", "trace_id", *_SUMMARY_FIELDS)}
    return replace(started, **kept)


def _entered_stage(row: OrderRow, stage: Stage, entry: TimelineEntry) -> OrderRow:
    return replace(
        row,
        stage=stage,
        stage_entered_at=entry.occurred_at,
        jeopardy=None,
        assignee=entry.awaiting,
        awaiting_due_at=entry.awaiting_due_at,
        trace_id=row.trace_id or entry.trace_id,
        ratified_at=entry.occurred_at if stage is Stage.RATIFIED else row.ratified_at,
    )


def _changed_state(row: OrderRow, status: OrderStatus, entry: TimelineEntry) -> OrderRow:
    """The state and findings the facts give, what blocks the order, and whose move it is now."""
    findings = list(status.findings)
    blocker = None
    if status.state in BLOCKED_STATES:
        blocker = "; ".join(finding.get("message", "") for finding in findings) or entry.what
    if status.state in (OrderState.REJECTED, OrderState.PENDING):
        assignee = row.assignee if _awaits_approval(findings) else row.submitted_by
    elif status.state is row.state and status.state not in _WHOSE_MOVE:
        assignee = row.assignee
    else:
        assignee = _WHOSE_MOVE.get(status.state)
    return replace(row, state=status.state, findings=findings, blocker=blocker, assignee=assignee)


# How the read model lists an order's reps in one column ("rep-001, rep-002"), split again for who owns the order.
REP_SEPARATOR = ", "
_SUMMARY_FIELDS = ("channel", "order_type", "account", "submitted_by", "external_id", "sales_reps")


def _summary_fields(entry: TimelineEntry) -> dict[str, Any]:
    order = entry.order or {}
    return {
        "channel": order.get("channel"),
        "order_type": order.get("orderType"),
        "account": order.get("account"),
        "submitted_by": order.get("submittedBy"),
        "external_id": order.get("externalId"),
        "sales_reps": REP_SEPARATOR.join(order.get("salesReps", [])) or None,
    }


def _awaits_approval(findings: list[dict[str, Any]]) -> bool:
    return bool(findings) and all(finding.get("reasonCode") == APPROVAL_REQUIRED for finding in findings)


def _jeopardy_level(entry: TimelineEntry) -> str | None:
    """The level the console's watchdog names in its finding's field path (`sla.<level>`); others say none."""
    for finding in entry.why:
        path = finding.get("fieldPath") or ""
        level = path.removeprefix("sla.")
        if level in JEOPARDY_LEVELS:
            return level
    return None

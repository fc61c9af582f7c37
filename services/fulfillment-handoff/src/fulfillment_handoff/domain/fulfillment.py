"""Where a handed-off order is in Operations, from what Operations reports, and what the order waits for."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import Stage
from orderdesk_shared.order_state import DOWNSTREAM_REJECT, ops_findings
from orderdesk_shared.order_versions import Standing

# How far the work on an order got; a new date (rescheduled) is the same step as the first one.
_STEP = {None: 0, OpsStatus.ACCEPTED: 1, OpsStatus.SCHEDULED: 2, OpsStatus.RESCHEDULED: 2}
# How the work on an item, or the order, ends: nothing Operations reports later changes it.
ENDED = frozenset({OpsStatus.INSTALLED, OpsStatus.CANCELLED})
# The statuses that give the items they are about an outcome (the others put failed items back to work).
_OUTCOMES = frozenset({*ENDED, OpsStatus.FAILED})
_DATED = frozenset({OpsStatus.SCHEDULED, OpsStatus.RESCHEDULED, OpsStatus.INSTALLED})
_PLANNED = frozenset({OpsStatus.SCHEDULED, OpsStatus.RESCHEDULED})


@dataclass(frozen=True)
class ItemOutcome:
    """How Operations' work on one item ended (installed, cancelled) or stopped (failed)."""

    status: OpsStatus
    effective_date: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Fulfillment:
    """What Operations reported about the order since the hand-off (status None: nothing yet).

    `status` is the order's: its last step, failed while any item is, or how the work ended once it ended for
    every item (the status of the report that ended it; `items` tell how each item ended). `items` holds the
    outcome of each item Operations reported one for; an item without one is being worked on.
    """

    status: OpsStatus | None = None
    scheduled_for: date | None = None
    installed_on: date | None = None
    failure_reason: str | None = None
    items: Mapping[str, ItemOutcome] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.status in ENDED


@dataclass(frozen=True)
class HandedOff:
    """The version Operations has, which its reports are checked against."""

    version: int
    on: date  # the hand-off day
    item_ids: tuple[str, ...]
    fulfillment: Fulfillment = field(default_factory=Fulfillment)
    cancel_sent: bool = False

    @property
    def work_to_stop(self) -> bool:
        """A cancel asks Operations once to stop work it has not finished."""
        return not self.cancel_sent and not self.fulfillment.ended

    def open_items(self) -> list[str]:
        """The items whose work has not ended (failed ones included)."""
        return _open(self.fulfillment.items, self.item_ids)


def _open(outcomes: Mapping[str, ItemOutcome], item_ids: tuple[str, ...]) -> list[str]:
    return [i for i in item_ids if i not in outcomes or outcomes[i].status not in ENDED]


@dataclass(frozen=True)
class ReportProblem:
    """What is wrong with a report, and where in it (camelCase names, as on the wire)."""

    field: tuple[str | int, ...]
    reason: str

    def describe(self) -> str:
        return f"{'.'.join(map(str, self.field))}: {self.reason}"


@dataclass(frozen=True)
class OpsOutcome:
    """The fulfillment after a report, the fallout it raises, or why it changes nothing."""

    fulfillment: Fulfillment
    fallout: tuple[FalloutKind, Finding] | None = None
    ignored_because: str | None = None


def report_problems(report: OpsOrderStatusChanged, handed_off: HandedOff, *, today: date) -> list[ReportProblem]:
    """A date where the status needs one; an install neither before the hand-off day nor after today; a (re)scheduled
    date not already past; a reason for a failure; only items of the handed-off order."""
    problems = []
    day = report.effective_date
    if report.status in _DATED and day is None:
        problems.append(ReportProblem(("effectiveDate",), f"a {report.status} report needs its date"))
    if report.status is OpsStatus.INSTALLED and day is not None and day < handed_off.on:
        problems.append(
            ReportProblem(("effectiveDate",), f"the installation cannot predate the hand-off on {handed_off.on}")
        )
    if report.status is OpsStatus.INSTALLED and day is not None and day > today:
        problems.append(ReportProblem(("effectiveDate",), f"an installation on {day} is in the future"))
    if report.status in _PLANNED and day is not None and day < today:
        problems.append(ReportProblem(("effectiveDate",), f"the {report.status} date {day} is past"))
    if report.status is OpsStatus.FAILED and not (report.reason or "").strip():
        problems.append(ReportProblem(("reason",), "a failed report needs its reason"))
    problems += [
        ReportProblem(("itemIds", index), f"item {item_id} is not on order {report.order_id} v{handed_off.version}")
        for index, item_id in enumerate(report.item_ids)
        if item_id not in handed_off.item_ids
    ]
    return problems


def unasked_cancel(report: OpsOrderStatusChanged, handed_off: HandedOff) -> str | None:
    """Operations confirms a cancel OrderDesk sent; a `cancelled` report without one is refused."""
    if report.status is OpsStatus.CANCELLED and not handed_off.cancel_sent:
        return f"no cancel was sent to Operations for order {report.order_id}: it is not cancelled"
    return None


def superseded(standing: Standing | None, version: int) -> str | None:
    """Reports about a version a correction replaces change nothing. A cancelled order gets no later version, so
    Operations' answer about the version it has still counts."""
    if standing is None or standing.cancel_reason is not None:
        return None
    return standing.refusal(version)


def apply_ops_report(handed_off: HandedOff, report: OpsOrderStatusChanged) -> OpsOutcome:
    """Move fulfillment forward only, item by item where the report names items; a failed install holds the order
    for the desk, and a new step, date or install for its failed items releases it."""
    current = handed_off.fulfillment
    if current.ended:
        return OpsOutcome(current, ignored_because=f"the order is {current.status} already")
    items = _items_after(current.items, report, handed_off.item_ids)
    still_failed = any(outcome.status is OpsStatus.FAILED for outcome in items.values())
    if report.status in ENDED and not (report.item_ids and _open(items, handed_off.item_ids)):
        installed_on = report.effective_date if report.status is OpsStatus.INSTALLED else current.installed_on
        moved = Fulfillment(report.status, current.scheduled_for, installed_on, None, items)
    elif report.status is OpsStatus.FAILED:
        moved = Fulfillment(OpsStatus.FAILED, current.scheduled_for, current.installed_on, report.reason, items)
    elif still_failed:
        planned = report.effective_date if report.status in _PLANNED else None
        moved = replace(current, items=items, scheduled_for=planned or current.scheduled_for)
    elif report.status in _STEP:
        if current.status is not OpsStatus.FAILED and _STEP[report.status] < _STEP[current.status]:
            return OpsOutcome(current, ignored_because=f"the order is {current.status} already")
        moved = Fulfillment(
            report.status, report.effective_date or current.scheduled_for, current.installed_on, None, items
        )
    else:  # some items installed or cancelled; the others are still worked on
        moved = Fulfillment(_still_worked_on(current), current.scheduled_for, current.installed_on, None, items)
    if moved == current:
        return OpsOutcome(current, ignored_because="Operations reported this before")
    if report.status is OpsStatus.FAILED:
        return OpsOutcome(moved, fallout=(FalloutKind.HELD, Finding.model_validate(ops_findings(report)[0])))
    if current.status is OpsStatus.FAILED and moved.status not in (OpsStatus.FAILED, OpsStatus.CANCELLED):
        recovered = Finding(
            reason_code=DOWNSTREAM_REJECT,
            message=f"Operations reports the order {report.status} again after the failed installation",
        )
        return OpsOutcome(moved, fallout=(FalloutKind.RELEASED, recovered))
    return OpsOutcome(moved)


@dataclass(frozen=True)
class OpsReportDecision:
    """What a report from Operations does: refused (`refusal`, recorded nowhere), or recorded with its `outcome`
    and, applied, the order's `fulfillment` after it, whether it ends the order, and the fallout for the desk."""

    refusal: str | None = None
    outcome: str = "applied"
    fulfillment: Fulfillment | None = None
    ends_order: bool = False
    fallout: OrderFallout | None = None


def decide_ops_report(
    report: OpsOrderStatusChanged, handed_off: HandedOff | None, standing: Standing | None, *, today: date
) -> OpsReportDecision:
    """Refuse a report about a version never handed off, a wrong one, or an unasked cancel; one about a version
    replaced since, or that changes nothing, is recorded as ignored; else it moves fulfillment on."""
    if handed_off is None:
        return OpsReportDecision(refusal=f"order {report.order_id} was never handed off to Operations")
    if report.order_version > handed_off.version:
        return OpsReportDecision(refusal=f"order {report.order_id} version {report.order_version} was never handed off")
    if report.order_version < handed_off.version:
        return OpsReportDecision(
            outcome=f"ignored: about version {report.order_version}; version {handed_off.version} was handed off since"
        )
    if corrected := superseded(standing, handed_off.version):
        return OpsReportDecision(outcome=f"ignored: {corrected}")
    if problems := report_problems(report, handed_off, today=today):
        return OpsReportDecision(refusal="; ".join(problem.describe() for problem in problems))
    if unasked := unasked_cancel(report, handed_off):
        return OpsReportDecision(refusal=unasked)
    result = apply_ops_report(handed_off, report)
    if result.ignored_because:
        return OpsReportDecision(outcome=f"ignored: {result.ignored_because}")
    return OpsReportDecision(
        fulfillment=result.fulfillment,
        ends_order=result.fulfillment.status is OpsStatus.CANCELLED,
        fallout=_handed_off_fallout(report, *result.fallout) if result.fallout else None,
    )


def _handed_off_fallout(report: OpsOrderStatusChanged, kind: FalloutKind, finding: Finding) -> OrderFallout:
    return OrderFallout(
        order_id=report.order_id,
        order_version=report.order_version,
        stage=Stage.HANDED_OFF,
        kind=kind,
        findings=[finding],
    )


def _items_after(
    items: Mapping[str, ItemOutcome], report: OpsOrderStatusChanged, every_item: tuple[str, ...]
) -> dict[str, ItemOutcome]:
    """A report about no item in particular is about every item; an item whose work ended keeps its outcome."""
    after = dict(items)
    for item_id in report.item_ids or every_item:
        if item_id in after and after[item_id].status in ENDED:
            continue
        if report.status in _OUTCOMES:
            after[item_id] = ItemOutcome(report.status, report.effective_date, report.reason)
        else:
            after.pop(item_id, None)
    return after


def _still_worked_on(current: Fulfillment) -> OpsStatus | None:
    """The step of an order some of whose items ended: as it was, or after a failure, back to its last date."""
    if current.status is not OpsStatus.FAILED:
        return current.status
    return OpsStatus.SCHEDULED if current.scheduled_for else OpsStatus.ACCEPTED


@dataclass(frozen=True)
class WaitingFor:
    who: str
    what: str


def waiting_for_operations(handed_off: HandedOff) -> WaitingFor | None:
    """What a handed-off order waits for next, and from whom; None once Operations' work on it ended."""
    fulfillment = handed_off.fulfillment
    if fulfillment.ended:
        return None
    if handed_off.cancel_sent:
        return WaitingFor("operations", "stop the work on the cancelled order, or report it installed")
    match fulfillment.status:
        case None:
            waiting = WaitingFor("operations", "accept the order")
        case OpsStatus.ACCEPTED:
            waiting = WaitingFor("operations", "schedule the installation")
        case OpsStatus.SCHEDULED | OpsStatus.RESCHEDULED:
            waiting = WaitingFor("operations", f"install on {fulfillment.scheduled_for}")
        case _:
            waiting = WaitingFor(
                "sales desk", f"resolve the failed installation with Operations: {fulfillment.failure_reason}"
            )
    still_open = handed_off.open_items()
    if len(still_open) < len(handed_off.item_ids):  # some items are done: say which the wait is about
        return WaitingFor(waiting.who, f"{waiting.what} (items still open: {', '.join(still_open)})")
    return waiting

"""Where a handed-off order is in Operations, from what Operations reports, and what the order waits for."""

from dataclasses import dataclass
from datetime import date

from orderdesk_shared.events.fallout import FalloutKind, Finding
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus

# How far each report takes an order; a failure is off this line and can be recovered from.
_PROGRESS = {None: 0, OpsStatus.ACCEPTED: 1, OpsStatus.SCHEDULED: 2, OpsStatus.INSTALLED: 3}


class InvalidOpsReport(ValueError):
    """A report that lacks what its status needs (a date to install or schedule on, a reason to fail)."""


@dataclass(frozen=True)
class Fulfilment:
    """What Operations last reported about the order (None: nothing yet since the hand-off)."""

    status: OpsStatus | None = None
    scheduled_for: date | None = None
    installed_on: date | None = None
    failure_reason: str | None = None


@dataclass(frozen=True)
class OpsOutcome:
    """The fulfilment after a report, the fallout it raises, or why it changes nothing."""

    fulfilment: Fulfilment
    fallout: tuple[FalloutKind, Finding] | None = None
    ignored_because: str | None = None


def apply_ops_report(current: Fulfilment, report: OpsOrderStatusChanged) -> OpsOutcome:
    """Move fulfilment forward only; a failed install holds the order for the desk, later progress releases it."""
    _check(report)
    if current.status is OpsStatus.INSTALLED:
        return OpsOutcome(current, ignored_because="the order is installed already")
    if report.status is OpsStatus.FAILED:
        if current.status is OpsStatus.FAILED and current.failure_reason == report.reason:
            return OpsOutcome(current, ignored_because="the same failure was reported before")
        failed = Fulfilment(OpsStatus.FAILED, scheduled_for=current.scheduled_for, failure_reason=report.reason)
        return OpsOutcome(failed, fallout=(FalloutKind.HELD, _downstream_reject(report.reason or "")))
    moved = _moved(current, report)
    if current.status is OpsStatus.FAILED:
        recovered = Finding(
            reason_code="DOWNSTREAM_REJECT",
            message=f"Operations reports the order {report.status.value} again after the failed installation",
        )
        return OpsOutcome(moved, fallout=(FalloutKind.RELEASED, recovered))
    rescheduled = report.status is OpsStatus.SCHEDULED and moved.scheduled_for != current.scheduled_for
    if _PROGRESS[report.status] < _PROGRESS[current.status] or (report.status is current.status and not rescheduled):
        return OpsOutcome(current, ignored_because=f"the order is {current.status.value} already")
    return OpsOutcome(moved)


def _check(report: OpsOrderStatusChanged) -> None:
    if report.status in (OpsStatus.SCHEDULED, OpsStatus.INSTALLED) and report.effective_date is None:
        raise InvalidOpsReport(f"a {report.status.value} report needs its effectiveDate")
    if report.status is OpsStatus.FAILED and not (report.reason or "").strip():
        raise InvalidOpsReport("a failed report needs its reason")


def _moved(current: Fulfilment, report: OpsOrderStatusChanged) -> Fulfilment:
    match report.status:
        case OpsStatus.SCHEDULED:
            return Fulfilment(OpsStatus.SCHEDULED, scheduled_for=report.effective_date)
        case OpsStatus.INSTALLED:
            return Fulfilment(
                OpsStatus.INSTALLED, scheduled_for=current.scheduled_for, installed_on=report.effective_date
            )
        case _:
            return Fulfilment(report.status, scheduled_for=current.scheduled_for)


def _downstream_reject(reason: str) -> Finding:
    return Finding(
        reason_code="DOWNSTREAM_REJECT",
        message=f"Operations failed the installation: {reason}",
        fix="agree the next step with Operations and the customer; the order resumes when Operations reports it again",
    )


@dataclass(frozen=True)
class WaitingFor:
    who: str
    what: str


def waiting_for_operations(fulfilment: Fulfilment) -> WaitingFor | None:
    """What a handed-off order waits for next, and from whom; None once it is installed."""
    match fulfilment.status:
        case None:
            return WaitingFor("operations", "accept the order")
        case OpsStatus.ACCEPTED:
            return WaitingFor("operations", "schedule the installation")
        case OpsStatus.SCHEDULED:
            return WaitingFor("operations", f"install on {fulfilment.scheduled_for}")
        case OpsStatus.FAILED:
            return WaitingFor(
                "sales desk", f"resolve the failed installation with Operations: {fulfilment.failure_reason}"
            )
        case OpsStatus.INSTALLED:
            return None

"""The reports built from the facts kept for them (console.report_facts_repository) and the roster's teams."""

from collections.abc import Iterable
from typing import Protocol

from console.domain import report_tables
from console.domain.report_facts import COMMISSION_ADJUSTED, FALLOUT, ReportFact
from console.domain.reports import REPORTS, Report, ReportRequest, of_kind, period_bounds
from console.domain.sla import StageSlaPolicy
from console.unit_of_work import ConsoleUnitOfWork
from orderdesk_shared.events.order import Stage


class _Rep(Protocol):
    team: str


async def build_report(uow: ConsoleUnitOfWork, request: ReportRequest, *, sla: StageSlaPolicy) -> Report:
    """The report the request asks for (checked by `reports.checked_request`), from the facts of its period."""
    kind = REPORTS[request.name]
    start, end = period_bounds(request)
    facts = await uow.report_facts.between(kind.reads, start=start, end=end)
    match request.name:
        case "bookings":
            handed_off = of_kind(facts, Stage.HANDED_OFF)
            return report_tables.bookings(request, handed_off, await _teams(uow, _order_reps(handed_off)))
        case "capital":
            return report_tables.capital(request, of_kind(facts, Stage.PRICED), of_kind(facts, Stage.APPROVED))
        case "fallout":
            return report_tables.fallout(request, of_kind(facts, Stage.RECEIVED), of_kind(facts, FALLOUT))
        case "cycle-times":
            # A step that ended in the period may have begun before it.
            order_ids = sorted({fact.order_id for fact in facts})
            reached = await uow.report_facts.of_orders(order_ids, kind.reads, before=end) if order_ids else []
            return report_tables.cycle_times(
                request,
                reached,
                sla_hours=sla.stages,
                business_hours=sla.business_calendar.business_hours_between,
            )
        case "commission":
            ratified, adjusted = of_kind(facts, Stage.RATIFIED), of_kind(facts, COMMISSION_ADJUSTED)
            reps = {rep["rep"] for fact in ratified for rep in fact.fact["reps"]} | {
                fact.fact["rep"] for fact in adjusted
            }
            return report_tables.commission(request, ratified, adjusted, await _teams(uow, reps))
    raise ValueError(f"no report {request.name!r}")


def _order_reps(facts: Iterable[ReportFact]) -> set[str]:
    return {rep["rep"] for fact in facts for rep in fact.fact.get("reps", ())}


async def _teams(uow: ConsoleUnitOfWork, rep_ids: Iterable[str]) -> dict[str, str]:
    """Each rep's team, as the roster the console keeps has it."""
    reps: dict[str, _Rep] = await uow.reps.by_ids(sorted(rep_ids))
    return {rep_id: rep.team for rep_id, rep in reps.items()}

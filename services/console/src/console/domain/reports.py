"""The desk's reports, each for a period [start, end) and filters: what they are, what a request for one must be, and
what their tables share; each table is made from the facts kept of the events of that period only
(console.domain.report_tables), so a past period's report reads the same whenever it is asked for."""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from console.domain.report_facts import COMMISSION_ADJUSTED, FALLOUT, ReportFact
from orderdesk_shared.events.order import Stage

CENT = Decimal("0.01")
# The longest period one report covers: enough for a year and its comparisons, not a scan of all history by accident.
LONGEST_PERIOD_DAYS = 731


class ColumnKind(StrEnum):
    TEXT = "text"
    COUNT = "count"
    MONEY = "money"
    HOURS = "hours"
    RATE = "rate"


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind


Cell = str | int | Decimal | None


@dataclass(frozen=True)
class ReportRequest:
    """Which report, for which period (`end` exclusive) and with which filters (filter name → value)."""

    name: str
    start: date
    end: date
    filters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """A report as a table: its columns, its rows (the last a total where one adds up) and notes on how it counts."""

    title: str
    request: ReportRequest
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportFilter:
    name: str
    description: str
    # The values it takes, when there are only a few.
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportKind:
    name: str
    title: str
    description: str
    # The kinds of fact the report reads in its period.
    reads: tuple[str, ...]
    filters: tuple[ReportFilter, ...]


class ReportRequestError(ValueError):
    """A request no report answers; `field` names the part of it that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


BOOKINGS_BY = ("market", "rep", "team", "order_type", "offering")
FALLOUT_BY = ("reason", "channel", "rep")
_MARKET = ReportFilter("market", "only this market")
_REP = ReportFilter("rep", "only this sales rep")
_TEAM = ReportFilter("team", "only this sales team")
_CHANNEL = ReportFilter("channel", "only orders received on this channel")
_ORDER_TYPE = ReportFilter("order_type", "only orders of this type")

REPORTS = {
    kind.name: kind
    for kind in (
        ReportKind(
            "bookings",
            "Bookings",
            "Orders handed off: count, MRR, NRC and TCV by market, rep, team, order type or offering.",
            (str(Stage.HANDED_OFF),),
            (
                ReportFilter("by", "what the rows are", BOOKINGS_BY),
                _MARKET,
                _REP,
                _TEAM,
                _ORDER_TYPE,
                ReportFilter("offering", "only this product offering"),
            ),
        ),
        ReportKind(
            "capital",
            "Capital",
            "Capital estimates of priced orders and approved capex, payback and NPV, by market.",
            (str(Stage.PRICED), str(Stage.APPROVED)),
            (_MARKET,),
        ),
        ReportKind(
            "fallout",
            "Fallout and rejections",
            "Fallout and rejection rates of the orders received, by reason, channel or rep.",
            (str(Stage.RECEIVED), FALLOUT),
            (ReportFilter("by", "what the rows are", FALLOUT_BY), _CHANNEL, _REP),
        ),
        ReportKind(
            "cycle-times",
            "Cycle times",
            "How long each stage's step took (p50, p90, in business hours) against its SLA.",
            tuple(str(stage) for stage in Stage),
            (_CHANNEL, _ORDER_TYPE),
        ),
        ReportKind(
            "commission",
            "Commission",
            "Commission ratified, payable, clawed back and adjusted in disputes, per rep.",
            (str(Stage.RATIFIED), COMMISSION_ADJUSTED),
            (_REP, _TEAM),
        ),
    )
}


def checked_request(name: str, start: date, end: date, filters: Mapping[str, str]) -> ReportRequest:
    """The request, if a report answers it: a known report, a period that ends after it starts, and its own filters
    with values it takes (empty values are no filter)."""
    kind = REPORTS.get(name)
    if kind is None:
        raise ReportRequestError("name", f"no report {name!r}; the reports are {', '.join(REPORTS)}")
    if end <= start:
        raise ReportRequestError("end", f"the period must end after it starts ({start} to {end})")
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise ReportRequestError("end", f"a report covers at most {LONGEST_PERIOD_DAYS} days")
    known = {report_filter.name: report_filter for report_filter in kind.filters}
    for filter_name, value in filters.items():
        report_filter = known.get(filter_name)
        if report_filter is None:
            raise ReportRequestError(filter_name, f"{name} takes the filters {', '.join(known)}")
        if report_filter.choices and value not in report_filter.choices:
            raise ReportRequestError(filter_name, f"{filter_name} is one of {', '.join(report_filter.choices)}")
    return ReportRequest(name, start, end, {key: value for key, value in filters.items() if value})


def period_bounds(request: ReportRequest) -> tuple[datetime, datetime]:
    """The period's first and first-after instants: its days are UTC days."""
    return (
        datetime.combine(request.start, time(), tzinfo=UTC),
        datetime.combine(request.end, time(), tzinfo=UTC),
    )


def in_period(at: datetime, request: ReportRequest) -> bool:
    start, end = period_bounds(request)
    return start <= at < end


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percentile(values: Sequence[float], share: int) -> float | None:
    """The nearest-rank percentile: the smallest value at least `share` percent of the values are at or below."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(math.ceil(share / 100 * len(ranked)) - 1, 0)]


def rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if whole else None


def of_kind(facts: Iterable[ReportFact], kind: str) -> list[ReportFact]:
    return [fact for fact in facts if fact.kind == kind]

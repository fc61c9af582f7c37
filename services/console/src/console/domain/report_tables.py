"""Each report's table from the facts of its period (console.domain.reports says what the reports are)."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from console.domain.report_facts import ReportFact
from console.domain.reports import (
    REPORTS,
    Cell,
    Column,
    ColumnKind,
    Report,
    ReportRequest,
    in_period,
    money,
    percentile,
    rate,
)
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.order import Stage

HUNDRED = Decimal(100)
NONE_NAMED = "(none)"
# What stops an order for the rep or the desk to act: the fallout the fallout report counts.
STOPPING_FALLOUT = frozenset({FalloutKind.REJECTED, FalloutKind.PENDING, FalloutKind.HELD})
# The adjustments that take commission back from a rep.
CLAWBACK_KINDS = frozenset({"clawback", "downgrade", "reversed"})
DISPUTE_KIND = "dispute"
STAGES_IN_FLOW = tuple(Stage)

BusinessHours = Callable[[datetime, datetime], float]


def _report(
    request: ReportRequest, *, columns: tuple[Column, ...], rows: Iterable[tuple[Cell, ...]], notes: tuple[str, ...]
) -> Report:
    """The report under the title the catalogue gives it."""
    return Report(title=REPORTS[request.name].title, request=request, columns=columns, rows=tuple(rows), notes=notes)


def _reps_of(fact: Mapping[str, Any]) -> list[tuple[str, Decimal]]:
    """The order's reps with each one's share of it; an order without reps is the unnamed rep's whole."""
    reps = [(rep["rep"], Decimal(rep["split"]) / HUNDRED) for rep in fact.get("reps", ())]
    return reps or [(NONE_NAMED, Decimal(1))]


def _latest_per_order(facts: Iterable[ReportFact]) -> list[ReportFact]:
    """Each order's last fact of those given (an order priced again counts once, as it was last priced)."""
    latest: dict[str, ReportFact] = {}
    for fact in sorted(facts, key=lambda fact: (fact.occurred_at, fact.order_version, fact.message_id)):
        latest[fact.order_id] = fact
    return list(latest.values())


@dataclass
class _Sums:
    orders: set[str] = field(default_factory=set)
    mrr: Decimal = Decimal(0)
    nrc: Decimal = Decimal(0)
    tcv: Decimal = Decimal(0)

    def add(self, order_id: str, item: Mapping[str, Any], share: Decimal) -> None:
        mrr, nrc = Decimal(item["mrr"]), Decimal(item["nrc"])
        self.orders.add(order_id)
        self.mrr += mrr * share
        self.nrc += nrc * share
        # As pricing-approval counts it: net MRC times the item's term, plus its NRC.
        self.tcv += (mrr * item["term"] + nrc) * share

    def row(self, name: str) -> tuple[Cell, ...]:
        return (name, len(self.orders), money(self.mrr), money(self.nrc), money(self.tcv))


def bookings(request: ReportRequest, handed_off: Iterable[ReportFact], teams: Mapping[str, str]) -> Report:
    """Orders handed off in the period (a version that changes one handed off before is a change, not a booking):
    per group, how many orders and their MRR, NRC and TCV."""
    filters = request.filters
    by = filters.get("by", "market")
    per_rep = by in ("rep", "team") or "rep" in filters or "team" in filters
    groups: dict[str, _Sums] = defaultdict(_Sums)
    total = _Sums()
    for fact in handed_off:
        order = fact.fact
        if order.get("replacesVersion") is not None:
            continue
        if "order_type" in filters and order["orderType"] != filters["order_type"]:
            continue
        reps = _reps_of(order) if per_rep else [(None, Decimal(1))]
        for rep, share in reps:
            team = teams.get(rep, NONE_NAMED) if rep else None
            if filters.get("rep", rep) != rep or filters.get("team", team) != team:
                continue
            for item in order["items"]:
                if filters.get("market", item["market"]) != item["market"]:
                    continue
                if filters.get("offering", item["offering"]) != item["offering"]:
                    continue
                dimension = {"rep": rep, "team": team, "order_type": order["orderType"]}.get(by) or item.get(by)
                groups[dimension or NONE_NAMED].add(fact.order_id, item, share)
                total.add(fact.order_id, item, share)
    notes = ["A booking is an order handed off in the period; TCV = net MRR × term + NRC, per item."]
    if per_rep:
        notes.append("Each rep is credited their split percent of the order's amounts; count is whole orders.")
    return _report(
        request,
        columns=(
            Column(by.replace("_", " ").capitalize(), ColumnKind.TEXT),
            Column("Orders", ColumnKind.COUNT),
            Column("MRR", ColumnKind.MONEY),
            Column("NRC", ColumnKind.MONEY),
            Column("TCV", ColumnKind.MONEY),
        ),
        rows=(*(groups[name].row(name) for name in sorted(groups)), total.row("Total")),
        notes=tuple(notes),
    )


def capital(request: ReportRequest, priced: Iterable[ReportFact], approved: Iterable[ReportFact]) -> Report:
    """Per market: the capital estimates of orders priced in the period, and the capex, payback and NPV of those
    approved in it (each order once, as last priced or approved)."""
    wanted = request.filters.get("market")
    estimates = [fact for fact in _latest_per_order(priced) if fact.fact.get("capex") is not None]
    approvals = [fact for fact in _latest_per_order(approved) if fact.fact.get("capex") is not None]
    markets = sorted({wanted} if wanted else _markets(estimates) | _markets(approvals))
    rows = [_capital_row(market, estimates, approvals) for market in markets]
    if not wanted:
        rows.append(_capital_row(None, estimates, approvals))
    return _report(
        request,
        columns=(
            Column("Market", ColumnKind.TEXT),
            Column("Estimates", ColumnKind.COUNT),
            Column("Estimated capex", ColumnKind.MONEY),
            Column("Approved", ColumnKind.COUNT),
            Column("Approved capex", ColumnKind.MONEY),
            Column("Payback p50 (months)", ColumnKind.HOURS),
            Column("NPV", ColumnKind.MONEY),
        ),
        rows=tuple(rows),
        notes=("Capex is net of CIAC; an order is told in the market of its first site; NPV is of the approved.",),
    )


def _markets(facts: Iterable[ReportFact]) -> set[str]:
    return {fact.fact["market"] for fact in facts}


def _capital_row(market: str | None, estimates: list[ReportFact], approvals: list[ReportFact]) -> tuple[Cell, ...]:
    estimated = [fact.fact for fact in estimates if market in (None, fact.fact["market"])]
    approved = [fact.fact for fact in approvals if market in (None, fact.fact["market"])]
    paybacks = [float(fact["paybackMonths"]) for fact in approved if fact["paybackMonths"] is not None]
    payback = percentile(paybacks, 50)
    return (
        market or "Total",
        len(estimated),
        money(sum((Decimal(fact["capex"]) for fact in estimated), Decimal(0))),
        len(approved),
        money(sum((Decimal(fact["capex"]) for fact in approved), Decimal(0))),
        money(Decimal(str(payback))) if payback is not None else None,
        money(sum((Decimal(fact["npv"]) for fact in approved), Decimal(0))),
    )


def fallout(request: ReportRequest, received: Iterable[ReportFact], fallouts: Iterable[ReportFact]) -> Report:
    """Of the orders received in the period, the share that fell out (rejected, pending or held) and the share
    rejected by the period's end: by reason, channel or rep. (An order falls out after it is received, so the
    period's fallouts are all those of its orders.)"""
    filters = request.filters
    by = filters.get("by", "reason")
    orders = {
        fact.order_id: fact.fact
        for fact in received
        if filters.get("channel", fact.fact["channel"]) == fact.fact["channel"]
        and ("rep" not in filters or filters["rep"] in {rep for rep, _ in _reps_of(fact.fact)})
    }
    stopped: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for fact in fallouts:
        if fact.order_id in orders and fact.fact["fallout"] in STOPPING_FALLOUT:
            for reason in fact.fact["reasons"] or [NONE_NAMED]:
                stopped[fact.order_id][reason].add(fact.fact["fallout"])

    def groups_of(order_id: str) -> set[str]:
        if by == "channel":
            return {orders[order_id]["channel"]}
        if by == "rep":
            return {rep for rep, _ in _reps_of(orders[order_id])}
        return set(stopped[order_id]) if order_id in stopped else set()

    received_in: dict[str, set[str]] = defaultdict(set)
    fell_out: dict[str, set[str]] = defaultdict(set)
    rejected: dict[str, set[str]] = defaultdict(set)
    for order_id in orders:
        for group in groups_of(order_id):
            received_in[group].add(order_id)
            for reason, kinds in stopped.get(order_id, {}).items():
                if by != "reason" or reason == group:
                    fell_out[group].add(order_id)
                    if FalloutKind.REJECTED in kinds:
                        rejected[group].add(order_id)
    # By reason, every order received is the whole a reason's rate is of.
    whole = {group: len(orders) if by == "reason" else len(received_in[group]) for group in received_in}
    groups = sorted(received_in)
    all_stopped = set(stopped) & set(orders)
    all_rejected = {
        order_id for order_id in all_stopped if any(FalloutKind.REJECTED in k for k in stopped[order_id].values())
    }
    rows = [_fallout_row(group, whole[group], len(fell_out[group]), len(rejected[group])) for group in groups] + [
        _fallout_row("Total", len(orders), len(all_stopped), len(all_rejected))
    ]
    return _report(
        request,
        columns=(
            Column(by.capitalize(), ColumnKind.TEXT),
            Column("Orders received", ColumnKind.COUNT),
            Column("Fell out", ColumnKind.COUNT),
            Column("Fallout rate", ColumnKind.RATE),
            Column("Rejected", ColumnKind.COUNT),
            Column("Rejection rate", ColumnKind.RATE),
        ),
        rows=tuple(rows),
        notes=(
            "Orders received in the period; fallout (rejected, pending or held) and rejections up to its end.",
            "By reason, each rate is of all orders received; an order with several reasons counts under each.",
        ),
    )


def _fallout_row(group: str, whole: int, fell_out: int, rejected: int) -> tuple[Cell, ...]:
    return (group, whole, fell_out, rate(fell_out, whole), rejected, rate(rejected, whole))


def cycle_times(
    request: ReportRequest,
    stages_reached: Iterable[ReportFact],
    *,
    sla_hours: Mapping[str, float],
    business_hours: BusinessHours,
) -> Report:
    """Per stage, the business hours its step took (from reaching it to reaching the next stage, in one order
    version) for the steps that ended in the period: p50 and p90 against the stage's SLA, and the share within it.

    `stages_reached` holds the stages the orders reached up to the period's end, so a step begun before it counts.
    """
    reached: dict[tuple[str, int], dict[str, ReportFact]] = defaultdict(dict)
    for fact in sorted(stages_reached, key=lambda fact: fact.occurred_at, reverse=True):
        reached[(fact.order_id, fact.order_version)][fact.kind] = fact  # the first time it reached each stage
    received_facts = {
        order_id: stages[str(Stage.RECEIVED)].fact
        for (order_id, _), stages in reached.items()
        if str(Stage.RECEIVED) in stages
    }
    wanted = {key: value for key, value in request.filters.items() if key in ("channel", "order_type")}
    durations: dict[str, list[float]] = defaultdict(list)
    for (order_id, _), stages in reached.items():
        order = received_facts.get(order_id, {})
        if any(order.get(_FACT_FIELD[key]) != value for key, value in wanted.items()):
            continue
        for stage, following in pairwise(STAGES_IN_FLOW):
            began, ended = stages.get(str(stage)), stages.get(str(following))
            if began and ended and in_period(ended.occurred_at, request):
                durations[str(stage)].append(business_hours(began.occurred_at, ended.occurred_at))
    rows = []
    for stage in STAGES_IN_FLOW[:-1]:
        took = durations[str(stage)]
        sla = sla_hours.get(str(stage))
        rows.append(
            (
                str(stage),
                len(took),
                _hours(percentile(took, 50)),
                _hours(percentile(took, 90)),
                _hours(sla),
                rate(sum(hours <= sla for hours in took), len(took)) if sla is not None else None,
            )
        )
    return _report(
        request,
        columns=(
            Column("Stage", ColumnKind.TEXT),
            Column("Steps", ColumnKind.COUNT),
            Column("p50 (business hours)", ColumnKind.HOURS),
            Column("p90 (business hours)", ColumnKind.HOURS),
            Column("SLA (business hours)", ColumnKind.HOURS),
            Column("Within SLA", ColumnKind.RATE),
        ),
        rows=tuple(rows),
        notes=("A stage's step runs from reaching it to reaching the next stage; counted in the period it ended.",),
    )


_FACT_FIELD = {"channel": "channel", "order_type": "orderType"}


def _hours(hours: float | None) -> Decimal | None:
    return money(Decimal(str(hours))) if hours is not None else None


def commission(
    request: ReportRequest, ratified: Iterable[ReportFact], adjusted: Iterable[ReportFact], teams: Mapping[str, str]
) -> Report:
    """Per rep: the commission of the orders ratified in the period, what became payable, what was clawed back and
    what disputes changed, by the commission service's ledger."""
    filters = request.filters
    columns = ("ratified", "payable", "clawbacks", "disputes")
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(columns, Decimal(0)))
    for fact in ratified:
        if fact.fact["eligible"]:
            for rep in fact.fact["reps"]:
                sums[rep["rep"]]["ratified"] += Decimal(rep["amount"])
    for fact in adjusted:
        change, amount = fact.fact, Decimal(fact.fact["amount"])
        rep = sums[change["rep"]]
        if change["payableChange"] is not None:
            rep["payable"] += Decimal(change["payableChange"])
        if change["adjustment"] in CLAWBACK_KINDS:
            rep["clawbacks"] += amount
        elif change["adjustment"] == DISPUTE_KIND:
            rep["disputes"] += amount
    reps = [
        rep
        for rep in sorted(sums)
        if filters.get("rep", rep) == rep
        and filters.get("team", teams.get(rep, NONE_NAMED)) == teams.get(rep, NONE_NAMED)
    ]
    total = {name: sum((sums[rep][name] for rep in reps), Decimal(0)) for name in columns}
    rows = [(rep, teams.get(rep, NONE_NAMED), *(money(sums[rep][name]) for name in columns)) for rep in reps] + [
        ("Total", None, *(money(total[name]) for name in columns))
    ]
    return _report(
        request,
        columns=(
            Column("Rep", ColumnKind.TEXT),
            Column("Team", ColumnKind.TEXT),
            Column("Ratified", ColumnKind.MONEY),
            Column("Payable", ColumnKind.MONEY),
            Column("Clawbacks", ColumnKind.MONEY),
            Column("Disputes", ColumnKind.MONEY),
        ),
        rows=tuple(rows),
        notes=("Ratified: eligible orders ratified in the period; the rest: ledger changes made in it (signed).",),
    )

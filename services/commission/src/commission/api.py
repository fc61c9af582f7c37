"""Commission's API: an order's commission, rep statements, disputes and the revenue-assurance report.

A sales rep sees only the orders they sold and their own statement; another rep's order is "not
found" to them, so its existence does not leak. Commission analysts, sales management and finance
see every rep.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from commission import handlers
from commission.domain.ledger import Holding
from commission.domain.reconciliation import RatifiedOrder, reconcile, to_csv
from commission.repository import Disputes, Ledger, OrderProgress, Ratifications
from orderdesk_shared.app import DatabaseDep, read_or_404
from orderdesk_shared.auth import Principal, Role, SignedIn, require_roles
from orderdesk_shared.context import ContextDep
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.limits import REQUEST_LIMITS, Offset, PageSize

router = APIRouter(prefix="/commission", tags=["commission"])

# Roles that see every rep's commission; a sales rep sees only their own.
OVERSEERS = frozenset(
    {Role.COMMISSION_ANALYST, Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.VP_SALES, Role.FINANCE, Role.SRE}
)


Rep = Annotated[Principal, Depends(require_roles(Role.SALES_REP))]
Analyst = Annotated[Principal, Depends(require_roles(Role.COMMISSION_ANALYST))]
StatementReader = Annotated[Principal, Depends(require_roles(Role.SALES_REP, *OVERSEERS - {Role.SRE}))]
ReportReader = Annotated[Principal, Depends(require_roles(Role.COMMISSION_ANALYST, Role.FINANCE))]


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", **REQUEST_LIMITS)


class DisputeRequest(_Body):
    claim: str = Field(min_length=1, max_length=4000, description="what the rep believes is wrong, and why")


class DisputeDecision(_Body):
    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=1, max_length=4000)
    # Checked even when left out, so that a missing adjustment is reported at its own field path.
    adjustment: Decimal | None = Field(default=None, max_digits=12, decimal_places=2, validate_default=True)

    @field_validator("adjustment")
    @classmethod
    def _approval_adjusts(cls, adjustment: Decimal | None, info: ValidationInfo) -> Decimal | None:
        decision = info.data.get("decision")
        if decision == "approve" and not adjustment:
            raise ValueError("an approval needs a non-zero adjustment")
        if decision == "reject" and adjustment is not None:
            raise ValueError("a rejection adjusts nothing: leave adjustment out")
        return adjustment


DisputeState = Literal["open", "approved", "rejected"]


def _sees_everyone(principal: Principal) -> bool:
    return bool(principal.roles & OVERSEERS)


@router.get("/orders/{order_id}")
async def order_commission(order_id: str, principal: SignedIn, db: DatabaseDep) -> dict:
    """Whether an order earns commission, how much, for which reps, and every ledger entry since."""
    missing = f"order {order_id} has not been ratified"
    own_only = None if _sees_everyone(principal) else principal.subject

    async def read(connection):
        ratification = await Ratifications(connection).get(order_id)
        if ratification is None or (own_only and own_only not in {rep["repId"] for rep in ratification.reps}):
            return None
        progress = await OrderProgress(connection).get(order_id)
        return ratification, progress, await Ledger(connection).order_entries(order_id, rep_id=own_only)

    row, progress, entries = await read_or_404(db, read, missing=missing)
    return {
        "orderId": row.order_id,
        "orderVersion": row.order_version,
        "orderType": row.order_type,
        "orderDate": row.order_date,
        "eligible": row.eligible,
        "reasons": row.reasons,
        "explanation": row.explanation,
        "commissionableMrr": str(row.commissionable_mrr),
        "multiplier": str(row.multiplier),
        "commissionTotal": str(row.commission_total),
        "reps": [rep for rep in row.reps if own_only in (None, rep["repId"])],
        "installedOn": progress.installed_on if progress else None,
        "cancelledOn": progress.cancelled_on if progress else None,
        "ledger": [_entry(entry) for entry in entries],
        "ratifiedAt": row.ratified_at,
    }


@router.get("/reps/{rep_id}/statement")
async def rep_statement(
    rep_id: str,
    principal: StatementReader,
    db: DatabaseDep,
    first_day: Annotated[date, Query(alias="from")],
    last_day: Annotated[date, Query(alias="to")],
) -> dict:
    """A rep's statement for a period: balances at its start and end, and every ledger entry in it."""
    if not _sees_everyone(principal) and principal.subject != rep_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a sales rep sees only their own statement")
    if last_day < first_day:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "'to' is before 'from'")
    async with db.engine.connect() as connection:
        ledger = Ledger(connection)
        opening = await ledger.rep_balance(rep_id, before=first_day)
        entries = await ledger.rep_entries(rep_id, first_day=first_day, last_day=last_day)
    closing = Holding(
        accrued=opening.accrued + sum((e.accrued_change for e in entries), Decimal(0)),
        payable=opening.payable + sum((e.payable_change for e in entries), Decimal(0)),
    )
    return {
        "repId": rep_id,
        "from": first_day,
        "to": last_day,
        "opening": _balance(opening),
        "entries": [_entry(entry) for entry in entries],
        "closing": _balance(closing),
    }


@router.post("/orders/{order_id}/disputes", status_code=status.HTTP_201_CREATED)
async def open_dispute(order_id: str, body: DisputeRequest, rep: Rep, db: DatabaseDep, context: ContextDep) -> dict:
    """A rep disputes their commission on an order they sold, within the plan's dispute window."""
    async with db.unit_of_work() as uow:
        try:
            dispute_id = await handlers.open_dispute(
                uow, order_id=order_id, rep_id=rep.subject, claim=body.claim, context=context
            )
        except handlers.DisputeRefused as refused:
            raise HTTPException(status.HTTP_409_CONFLICT, str(refused)) from refused
    if dispute_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"you have no commission on order {order_id}")
    return await _dispute(db, dispute_id)


@router.get("/disputes")
async def list_disputes(
    principal: SignedIn,
    db: DatabaseDep,
    state: DisputeState | None = "open",
    offset: Offset = 0,
    limit: PageSize = 100,
) -> list[dict]:
    """Disputes, longest open first; open ones by default (the analysts' queue). A sales rep sees only their own."""
    own_only = None if _sees_everyone(principal) else principal.subject
    async with db.engine.connect() as connection:
        rows = await Disputes(connection).list(state=state, rep_id=own_only, limit=limit, offset=offset)
    return [_dispute_document(row) for row in rows]


@router.get("/disputes/{dispute_id}")
async def dispute(dispute_id: str, principal: SignedIn, db: DatabaseDep) -> dict:
    """A dispute, its decision and its full history."""
    found = await _dispute(db, dispute_id)
    if not _sees_everyone(principal) and found["repId"] != principal.subject:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dispute {dispute_id}")
    return found


@router.post("/disputes/{dispute_id}/decision")
async def decide_dispute(
    dispute_id: str, body: DisputeDecision, analyst: Analyst, db: DatabaseDep, context: ContextDep
) -> dict:
    """A commission analyst approves a dispute with an adjustment (payable with the rep's next statement) or
    rejects it with a reason; never one about an order they submitted or are named on (403)."""
    async with db.unit_of_work() as uow:
        try:
            found = await handlers.decide_dispute(
                uow,
                dispute_id=dispute_id,
                analyst=analyst,
                approve=body.decision == "approve",
                reason=body.reason,
                adjustment=body.adjustment,
                context=context,
            )
        except handlers.DisputeRefused as refused:
            raise HTTPException(status.HTTP_409_CONFLICT, str(refused)) from refused
        except handlers.NotYoursToDecide as refused:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(refused)) from refused
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dispute {dispute_id}")
    return await _dispute(db, dispute_id)


@router.get("/reconciliation", response_model=None)
async def reconciliation(
    request: Request,
    _: ReportReader,
    db: DatabaseDep,
    context: ContextDep,
    first_day: Annotated[date, Query(alias="from")],
    last_day: Annotated[date, Query(alias="to")],
    output: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
) -> dict | PlainTextResponse:
    """Revenue assurance for orders ratified in a period: handed off but never ratified, ratified but never
    installed, and MRC counted for commission that disagrees with the MRC handed off for billing. CSV with
    `format=csv` or `Accept: text/csv`."""
    async with db.engine.connect() as connection:
        ratifications = Ratifications(connection)
        ratified = await ratifications.reconciliation_rows(first_day=first_day, last_day=last_day)
        unratified = await ratifications.unratified_handoffs(topic=OrderHandedOff.topic)
    discrepancies = reconcile(
        [
            RatifiedOrder(
                order_id=row.order_id,
                order_date=row.order_date,
                eligible=row.eligible,
                commission_total=row.commission_total,
                basis_mrc=row.basis_mrc,
                billed_mrc=row.billed_mrc,
                installed_on=row.installed_on,
                cancelled_on=row.cancelled_on,
                failure=row.failure,
            )
            for row in ratified
        ],
        [
            (row.order_id or "(no key)", row.reason)
            for row in unratified
            if first_day <= row.created_at.date() <= last_day
        ],
        today=context.clock().date(),
    )
    if output == "csv" or (output is None and "text/csv" in request.headers.get("accept", "")):
        filename = f"commission-reconciliation-{first_day}-{last_day}.csv"
        return PlainTextResponse(
            to_csv(discrepancies),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return {
        "from": first_day,
        "to": last_day,
        "ordersRatified": len(ratified),
        "discrepancies": [
            {
                "orderId": d.order_id,
                "finding": d.finding,
                "detail": d.detail,
                "commissionTotal": _money(d.commission_total),
                "commissionedMrc": _money(d.commissioned_mrc),
                "billedMrc": _money(d.billed_mrc),
            }
            for d in discrepancies
        ],
    }


async def _dispute(db, dispute_id: str) -> dict:
    async def read(connection):
        disputes = Disputes(connection)
        found = await disputes.get(dispute_id)
        return None if found is None else (found, await disputes.history_of(dispute_id))

    row, history = await read_or_404(db, read, missing=f"no dispute {dispute_id}")
    return _dispute_document(row) | {
        "history": [
            {"at": h.at, "actor": h.actor, "action": h.action, "note": h.note, "adjustment": _money(h.adjustment)}
            for h in history
        ],
    }


def _dispute_document(row) -> dict:
    return {
        "disputeId": row.dispute_id,
        "orderId": row.order_id,
        "repId": row.rep_id,
        "state": row.state,
        "claim": row.claim,
        "openedOn": row.opened_on,
        "decidedBy": row.decided_by,
        "decidedOn": row.decided_on,
        "decision": row.decision,
        "adjustment": _money(row.adjustment),
    }


def _entry(entry) -> dict:
    return {
        "entry": entry.entry_key,
        "orderId": entry.order_id,
        "repId": entry.rep_id,
        "kind": entry.kind,
        "accruedChange": str(entry.accrued_change),
        "payableChange": str(entry.payable_change),
        "reason": entry.reason,
        "effectiveOn": entry.effective_on,
        "disputeId": entry.dispute_id,
    }


def _balance(holding: Holding) -> dict:
    return {"accrued": str(holding.accrued), "payable": str(holding.payable)}


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)

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
from commission.domain.ratification import reps_seen_by
from commission.domain.reconciliation import reconcile, to_csv
from commission.repository import Disputes, Ledger, OrderProgress, Ratifications
from commission.views import dispute_view, order_commission_view, reconciliation_view, statement_view
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


def _own_only(principal: Principal) -> str | None:
    """The rep whose commission alone the reader sees; None for a reader who sees every rep's."""
    return None if principal.roles & OVERSEERS else principal.subject


@router.get("/orders/{order_id}")
async def order_commission(order_id: str, principal: SignedIn, db: DatabaseDep) -> dict:
    """Whether an order earns commission, how much, for which reps, and every ledger entry since."""
    own_only = _own_only(principal)

    async def read(connection):
        ratification = await Ratifications(connection).get(order_id)
        if ratification is None or (own_only and not reps_seen_by(ratification.reps, own_only)):
            return None
        progress = await OrderProgress(connection).get(order_id)
        return ratification, progress, await Ledger(connection).order_entries(order_id, rep_id=own_only)

    found = await read_or_404(db, read, missing=f"order {order_id} has not been ratified")
    return order_commission_view(*found, rep_id=own_only)


@router.get("/reps/{rep_id}/statement")
async def rep_statement(
    rep_id: str,
    principal: StatementReader,
    db: DatabaseDep,
    first_day: Annotated[date, Query(alias="from")],
    last_day: Annotated[date, Query(alias="to")],
) -> dict:
    """A rep's statement for a period: balances at its start and end, and every ledger entry in it."""
    if _own_only(principal) not in (None, rep_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a sales rep sees only their own statement")
    if last_day < first_day:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "'to' is before 'from'")
    async with db.engine.connect() as connection:
        statement = await Ledger(connection).statement(rep_id, first_day=first_day, last_day=last_day)
    return statement_view(rep_id, first_day, last_day, statement)


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
    async with db.engine.connect() as connection:
        rows = await Disputes(connection).list(state=state, rep_id=_own_only(principal), limit=limit, offset=offset)
    return [dispute_view(row) for row in rows]


@router.get("/disputes/{dispute_id}")
async def dispute(dispute_id: str, principal: SignedIn, db: DatabaseDep) -> dict:
    """A dispute, its decision and its full history."""
    found = await _dispute(db, dispute_id)
    if _own_only(principal) not in (None, found["repId"]):
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
        ratified = await ratifications.ratified_between(first_day=first_day, last_day=last_day)
        unratified = await ratifications.unratified_handoffs(
            topic=OrderHandedOff.topic, first_day=first_day, last_day=last_day
        )
    discrepancies = reconcile(ratified, unratified, today=context.clock().date())
    if output == "csv" or (output is None and "text/csv" in request.headers.get("accept", "")):
        return _csv_attachment(to_csv(discrepancies), f"commission-reconciliation-{first_day}-{last_day}.csv")
    return reconciliation_view(first_day, last_day, orders_ratified=len(ratified), discrepancies=discrepancies)


def _csv_attachment(body: str, filename: str) -> PlainTextResponse:
    return PlainTextResponse(
        body, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


async def _dispute(db, dispute_id: str) -> dict:
    async def read(connection):
        disputes = Disputes(connection)
        found = await disputes.get(dispute_id)
        return None if found is None else (found, await disputes.history_of(dispute_id))

    return dispute_view(*await read_or_404(db, read, missing=f"no dispute {dispute_id}"))

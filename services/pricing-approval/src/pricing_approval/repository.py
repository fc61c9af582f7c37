"""Queries over pricing-approval's quotes, approval requests, the decisions taken on them, and proposals."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.access import OrderPeople
from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.pricing_approval import ApprovalRequirement, Pricing
from orderdesk_shared.events.serviceability import SiteQualification
from orderdesk_shared.order_correctors import correctors_of
from orderdesk_shared.order_versions import store_all_if_live
from pricing_approval.domain.approvals import ApprovalReason, RequiredApproval, Trigger
from pricing_approval.domain.proposals import ProposalRecord, ProposalState
from pricing_approval.domain.workflow import CLOSED_QUOTES, QuoteStatus, RequestStatus
from pricing_approval.tables import (
    approval_decisions,
    approval_requests,
    order_correctors,
    order_versions,
    proposals,
    quotes,
)


@dataclass(frozen=True)
class StoredQuote:
    order_id: str
    order_version: int
    status: QuoteStatus
    order: ProductOrder | None
    sites: list[SiteQualification]
    pricing: Pricing | None
    required_approvals: list[dict]
    rejection: dict | None
    priced_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class ApprovalRequest:
    id: str
    order_id: str
    order_version: int
    role: Role
    explanation: str
    reasons: list[dict]
    sla_business_days: int
    requested_at: datetime
    due_at: datetime
    status: RequestStatus
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    carried_from: str | None = None
    jeopardy_raised_at: datetime | None = None
    withdrawn_because: str | None = None

    def required(self) -> RequiredApproval:
        """The approval as the matrix asked it, to compare with what a revised order needs."""
        return RequiredApproval(
            role=self.role,
            sla_business_days=self.sla_business_days,
            reasons=tuple(
                ApprovalReason(
                    trigger=Trigger(reason["trigger"]),
                    explanation=reason["explanation"],
                    inputs=tuple((name, value) for name, value in reason["inputs"]),
                )
                for reason in self.reasons
            ),
        )

    def requirement(self) -> ApprovalRequirement:
        """The request as it travels on orders.priced."""
        return ApprovalRequirement(
            role=self.role,
            reason=self.explanation,
            request_id=self.id,
            sla_business_days=self.sla_business_days,
            due_at=self.due_at,
            status=self.status,
        )


def reasons_document(approval: RequiredApproval) -> list[dict]:
    return [
        {"trigger": reason.trigger, "explanation": reason.explanation, "inputs": [list(pair) for pair in reason.inputs]}
        for reason in approval.reasons
    ]


def quote_values(
    *,
    order: ProductOrder,
    order_version: int,
    sites: Sequence[SiteQualification],
    status: QuoteStatus,
    pricing: Pricing | None,
    required_approvals: Sequence[ApprovalRequirement],
    rejection: dict | None,
    priced_at: datetime,
) -> dict[str, object]:
    """A version of the order's quote, as record_quotes stores it."""
    return {
        "order_id": order.id,
        "order_version": order_version,
        "status": status,
        "order": order.model_dump(mode="json", by_alias=True, exclude_none=True),
        "sites": [site.model_dump(mode="json", by_alias=True, exclude_none=True) for site in sites],
        "pricing": pricing.model_dump(mode="json", by_alias=True, exclude_none=True) if pricing else None,
        "required_approvals": [a.model_dump(mode="json", by_alias=True, exclude_none=True) for a in required_approvals],
        "rejection": rejection,
        "priced_at": priced_at,
        "decided_at": priced_at if status is not QuoteStatus.PENDING_APPROVAL else None,
    }


async def record_quotes(connection: AsyncConnection, quotes_: Sequence[dict[str, object]]) -> set[tuple[str, int]]:
    """Store these versions of their orders' quotes (of distinct orders), in one statement; the (order id, version)
    of those stored: not a version when it or a later one was priced before, or it is dead (corrected since, or the
    order cancelled: see orderdesk_shared.order_versions)."""
    return await store_all_if_live(connection, quotes, order_versions, quotes_, only_newer=True)


async def people_of(connection: AsyncConnection, quote: StoredQuote) -> OrderPeople:
    """The order's people as pricing knows them: the priced order's submitter and reps, and every corrector."""
    correctors = await correctors_of(connection, order_correctors, quote.order_id)
    if quote.order is None:  # priced before orders were kept: nobody is known, so only the desk's roles see it
        return OrderPeople(order_id=quote.order_id, corrected_by=correctors)
    return OrderPeople.of(quote.order, corrected_by=correctors)


async def get_quote(connection: AsyncConnection, order_id: str, *, for_update: bool = False) -> StoredQuote | None:
    query = sa.select(quotes).where(quotes.c.order_id == order_id)
    row = (await connection.execute(query.with_for_update() if for_update else query)).first()
    if row is None:
        return None
    return StoredQuote(
        order_id=row.order_id,
        order_version=row.order_version,
        status=QuoteStatus(row.status),
        order=ProductOrder.model_validate(row.order) if row.order else None,
        sites=[SiteQualification.model_validate(site) for site in row.sites or []],
        pricing=Pricing.model_validate(row.pricing) if row.pricing else None,
        required_approvals=row.required_approvals,
        rejection=row.rejection,
        priced_at=row.priced_at,
        decided_at=row.decided_at,
    )


async def settle_quote(
    connection: AsyncConnection, order_id: str, *, status: QuoteStatus, at: datetime, rejection: dict | None = None
) -> None:
    """Give the quote its new status; a rejection replaces the finding kept, else the one kept stays."""
    values = {"status": status, "decided_at": at} | ({"rejection": rejection} if rejection else {})
    await connection.execute(sa.update(quotes).where(quotes.c.order_id == order_id).values(values))


def _request(row: sa.Row) -> ApprovalRequest:
    fields = row._asdict()
    return ApprovalRequest(**fields | {"role": Role(row.role), "status": RequestStatus(row.status)})


async def insert_requests(connection: AsyncConnection, requests: Sequence[ApprovalRequest]) -> None:
    if requests:
        await connection.execute(
            sa.insert(approval_requests),
            [vars(request) for request in requests],
        )


async def get_request(
    connection: AsyncConnection, request_id: str, *, for_update: bool = False
) -> ApprovalRequest | None:
    query = sa.select(approval_requests).where(approval_requests.c.id == request_id)
    row = (await connection.execute(query.with_for_update() if for_update else query)).first()
    return _request(row) if row else None


async def requests_for(connection: AsyncConnection, order_id: str, order_version: int) -> list[ApprovalRequest]:
    rows = await connection.execute(
        sa.select(approval_requests)
        .where(approval_requests.c.order_id == order_id, approval_requests.c.order_version == order_version)
        .order_by(approval_requests.c.requested_at, approval_requests.c.role)
    )
    return [_request(row) for row in rows]


async def latest_earlier_requests(connection: AsyncConnection, order_id: str, *, before: int) -> list[ApprovalRequest]:
    """The requests of the most recent version before `before` that had any."""
    latest = (
        sa.select(sa.func.max(approval_requests.c.order_version))
        .where(approval_requests.c.order_id == order_id, approval_requests.c.order_version < before)
        .scalar_subquery()
    )
    rows = await connection.execute(
        sa.select(approval_requests).where(
            approval_requests.c.order_id == order_id, approval_requests.c.order_version == latest
        )
    )
    return [_request(row) for row in rows]


async def pending_versions(connection: AsyncConnection, order_id: str) -> dict[str, int]:
    """The order's pending requests: each one's order version by request id."""
    rows = await connection.execute(
        sa.select(approval_requests.c.id, approval_requests.c.order_version).where(
            approval_requests.c.order_id == order_id, approval_requests.c.status == RequestStatus.PENDING
        )
    )
    return dict(rows.tuples().all())


async def withdraw(connection: AsyncConnection, because: Mapping[str, str], *, at: datetime) -> None:
    """Stop asking each of these pending requests, keeping why."""
    if not because:
        return
    requests = approval_requests.c
    statement = (
        sa.update(approval_requests)
        .where(requests.id == sa.bindparam("request_id"), requests.status == RequestStatus.PENDING)
        .values(status=RequestStatus.WITHDRAWN, decided_at=at, withdrawn_because=sa.bindparam("because"))
    )
    await connection.execute(statement, [{"request_id": key, "because": reason} for key, reason in because.items()])


async def decide_request(
    connection: AsyncConnection,
    request: ApprovalRequest,
    *,
    status: RequestStatus,
    actor: str,
    comment: str | None,
    at: datetime,
) -> None:
    """Record an approver's decision on the request, and in the audit of decisions."""
    await connection.execute(
        sa.update(approval_requests)
        .where(approval_requests.c.id == request.id)
        .values(status=status, decided_by=actor, decided_at=at, comment=comment)
    )
    await connection.execute(
        sa.insert(approval_decisions).values(
            request_id=request.id,
            order_id=request.order_id,
            order_version=request.order_version,
            role=request.role,
            decision=status,
            actor=actor,
            comment=comment,
            decided_at=at,
        )
    )


async def decisions_for(connection: AsyncConnection, order_id: str) -> list[sa.Row]:
    rows = await connection.execute(
        sa.select(approval_decisions)
        .where(approval_decisions.c.order_id == order_id)
        .order_by(approval_decisions.c.decided_at, approval_decisions.c.id)
    )
    return list(rows)


async def pending_for_roles(
    connection: AsyncConnection, roles: Collection[Role], *, offset: int, limit: int
) -> list[ApprovalRequest]:
    """A page of the approver's queue: pending requests for any of their roles, the soonest due first."""
    rows = await connection.execute(
        sa.select(approval_requests)
        .where(approval_requests.c.status == RequestStatus.PENDING, approval_requests.c.role.in_(list(roles)))
        .order_by(approval_requests.c.due_at, approval_requests.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [_request(row) for row in rows]


async def claim_past_due(connection: AsyncConnection, *, now: datetime, limit: int = 100) -> list[ApprovalRequest]:
    """Pending requests past due that raised no jeopardy yet, marked as raised now (locked against other replicas)."""
    claimed = (
        sa.select(approval_requests.c.id)
        .where(
            approval_requests.c.status == RequestStatus.PENDING,
            approval_requests.c.due_at <= now,
            approval_requests.c.jeopardy_raised_at.is_(None),
        )
        .order_by(approval_requests.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await connection.execute(
        sa.update(approval_requests)
        .where(approval_requests.c.id.in_(claimed))
        .values(jeopardy_raised_at=now)
        .returning(*approval_requests.c)
    )
    return sorted((_request(row) for row in rows), key=lambda request: request.due_at)


def _proposal(row: sa.Row) -> ProposalRecord:
    return ProposalRecord(**row._asdict() | {"state": ProposalState(row.state)})


async def keep_proposals(connection: AsyncConnection, drafts: Sequence[ProposalRecord]) -> None:
    """Keep newly priced versions' proposals (of distinct orders) in place of earlier versions', in one statement."""
    await store_all_if_live(connection, proposals, order_versions, [vars(draft) for draft in drafts], only_newer=True)


async def get_proposal(
    connection: AsyncConnection, order_id: str, *, version: int, for_update: bool = False
) -> ProposalRecord | None:
    """The proposal of this version of the order; None when this version has none (it was rejected when priced)."""
    query = sa.select(proposals).where(proposals.c.order_id == order_id, proposals.c.order_version == version)
    row = (await connection.execute(query.with_for_update() if for_update else query)).first()
    return _proposal(row) if row else None


async def store_proposal(connection: AsyncConnection, proposal: ProposalRecord) -> None:
    """Store where the proposal of its order version now stands."""
    values = {name: value for name, value in vars(proposal).items() if name not in ("order_id", "order_version")}
    await connection.execute(
        sa.update(proposals)
        .where(proposals.c.order_id == proposal.order_id, proposals.c.order_version == proposal.order_version)
        .values(values)
    )


async def claim_proposals_past_validity(
    connection: AsyncConnection, *, today: date, limit: int = 100
) -> list[ProposalRecord]:
    """Sent proposals of live quotes whose last day is before today; each locked with its quote (as a person's
    action locks the quote first), skipping those another replica or a person is working on."""
    rows = await connection.execute(
        sa.select(proposals)
        .join(
            quotes,
            sa.and_(quotes.c.order_id == proposals.c.order_id, quotes.c.order_version == proposals.c.order_version),
        )
        .where(
            proposals.c.state == ProposalState.SENT,
            proposals.c.expires_on < today,
            quotes.c.status.not_in(list(CLOSED_QUOTES)),
        )
        .order_by(proposals.c.expires_on)
        .limit(limit)
        .with_for_update(of=(proposals, quotes), skip_locked=True)
    )
    return [_proposal(row) for row in rows]

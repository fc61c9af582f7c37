"""Pricing-approval's stores, each on the connection of a unit of work: quotes, approval requests (with the
decisions taken on them), proposals (the desk's and those reps wrote), what is known of each order's versions and
correctors, and the catalogues announced."""

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.access import OrderPeople
from orderdesk_shared.auth import Role
from orderdesk_shared.db import insert_if_absent
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.pricing_approval import Pricing
from orderdesk_shared.events.serviceability import SiteQualification
from orderdesk_shared.order_correctors import correctors_of, note_corrector
from orderdesk_shared.order_versions import Standing, note_cancelled, note_version, refusal, standing, store_all_if_live
from pricing_approval.domain.capital_review import CapitalInput, CapitalReview, FlagStatus, Team, Verdict
from pricing_approval.domain.proposal_review import Difference, DifferenceKind, RepProposal, RepProposalState
from pricing_approval.domain.proposals import ProposalRecord, ProposalState
from pricing_approval.domain.records import ApprovalRequest, StoredQuote
from pricing_approval.domain.workflow import CLOSED_QUOTES, QuoteStatus, RequestStatus
from pricing_approval.tables import (
    approval_decisions,
    approval_requests,
    capital_reviews,
    order_correctors,
    order_versions,
    proposals,
    published_catalogues,
    quotes,
    rep_proposals,
)


class Quotes:
    """The latest priced version of each order's quote."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, priced: Sequence[StoredQuote]) -> set[tuple[str, int]]:
        """Store these versions of their orders' quotes (of distinct orders), in one statement; the (order id,
        version) of those stored: not a version when it or a later one was priced before, or it is dead (corrected
        since, or the order cancelled: see orderdesk_shared.order_versions)."""
        rows = [_quote_row(quote) for quote in priced]
        return await store_all_if_live(self._connection, quotes, order_versions, rows, only_newer=True)

    async def get(self, order_id: str, *, for_update: bool = False) -> StoredQuote | None:
        query = sa.select(quotes).where(quotes.c.order_id == order_id)
        row = (await self._connection.execute(query.with_for_update() if for_update else query)).first()
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

    async def settle(self, order_id: str, *, status: QuoteStatus, at: datetime, rejection: dict | None = None) -> None:
        """Give the quote its new status; a rejection replaces the finding kept, else the one kept stays."""
        values = {"status": status, "decided_at": at} | ({"rejection": rejection} if rejection else {})
        await self._connection.execute(sa.update(quotes).where(quotes.c.order_id == order_id).values(values))


def _quote_row(quote: StoredQuote) -> dict[str, object]:
    """A version of the order's quote, as its row holds it."""
    return {
        "order_id": quote.order_id,
        "order_version": quote.order_version,
        "status": quote.status,
        "order": quote.order.model_dump(mode="json", by_alias=True, exclude_none=True) if quote.order else None,
        "sites": [site.model_dump(mode="json", by_alias=True, exclude_none=True) for site in quote.sites],
        "pricing": quote.pricing.model_dump(mode="json", by_alias=True, exclude_none=True) if quote.pricing else None,
        "required_approvals": quote.required_approvals,
        "rejection": quote.rejection,
        "priced_at": quote.priced_at,
        "decided_at": quote.decided_at,
    }


class ApprovalRequests:
    """The approvals asked on each version of an order, and the audit of the decisions taken on them."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def insert(self, requests: Sequence[ApprovalRequest]) -> None:
        if requests:
            await self._connection.execute(sa.insert(approval_requests), [vars(request) for request in requests])

    async def get(self, request_id: str, *, for_update: bool = False) -> ApprovalRequest | None:
        query = sa.select(approval_requests).where(approval_requests.c.id == request_id)
        row = (await self._connection.execute(query.with_for_update() if for_update else query)).first()
        return _request(row) if row else None

    async def of_version(self, order_id: str, order_version: int) -> list[ApprovalRequest]:
        rows = await self._connection.execute(
            sa.select(approval_requests)
            .where(approval_requests.c.order_id == order_id, approval_requests.c.order_version == order_version)
            .order_by(approval_requests.c.requested_at, approval_requests.c.role)
        )
        return [_request(row) for row in rows]

    async def latest_earlier(self, order_id: str, *, before: int) -> list[ApprovalRequest]:
        """The requests of the most recent version before `before` that had any."""
        latest = (
            sa.select(sa.func.max(approval_requests.c.order_version))
            .where(approval_requests.c.order_id == order_id, approval_requests.c.order_version < before)
            .scalar_subquery()
        )
        rows = await self._connection.execute(
            sa.select(approval_requests).where(
                approval_requests.c.order_id == order_id, approval_requests.c.order_version == latest
            )
        )
        return [_request(row) for row in rows]

    async def pending_versions(self, order_id: str) -> dict[str, int]:
        """The order's pending requests: each one's order version by request id."""
        rows = await self._connection.execute(
            sa.select(approval_requests.c.id, approval_requests.c.order_version).where(
                approval_requests.c.order_id == order_id, approval_requests.c.status == RequestStatus.PENDING
            )
        )
        return dict(rows.tuples().all())

    async def withdraw(self, because: Mapping[str, str], *, at: datetime) -> None:
        """Stop asking each of these pending requests, keeping why."""
        if not because:
            return
        requests = approval_requests.c
        statement = (
            sa.update(approval_requests)
            .where(requests.id == sa.bindparam("request_id"), requests.status == RequestStatus.PENDING)
            .values(status=RequestStatus.WITHDRAWN, decided_at=at, withdrawn_because=sa.bindparam("because"))
        )
        await self._connection.execute(
            statement, [{"request_id": key, "because": reason} for key, reason in because.items()]
        )

    async def decide(
        self, request: ApprovalRequest, *, status: RequestStatus, actor: str, comment: str | None, at: datetime
    ) -> None:
        """Record an approver's decision on the request, and in the audit of decisions."""
        await self._connection.execute(
            sa.update(approval_requests)
            .where(approval_requests.c.id == request.id)
            .values(status=status, decided_by=actor, decided_at=at, comment=comment)
        )
        await self._connection.execute(
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

    async def decisions(self, order_id: str) -> list[sa.Row]:
        rows = await self._connection.execute(
            sa.select(approval_decisions)
            .where(approval_decisions.c.order_id == order_id)
            .order_by(approval_decisions.c.decided_at, approval_decisions.c.id)
        )
        return list(rows)

    async def pending_for_roles(self, roles: Collection[Role], *, offset: int, limit: int) -> list[ApprovalRequest]:
        """A page of the approver's queue: pending requests for any of their roles, the soonest due first."""
        rows = await self._connection.execute(
            sa.select(approval_requests)
            .where(approval_requests.c.status == RequestStatus.PENDING, approval_requests.c.role.in_(list(roles)))
            .order_by(approval_requests.c.due_at, approval_requests.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [_request(row) for row in rows]

    async def claim_past_due(self, *, now: datetime, limit: int = 100) -> list[ApprovalRequest]:
        """Pending requests past due that raised no jeopardy yet, marked as raised now (locked against other
        replicas)."""
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
        rows = await self._connection.execute(
            sa.update(approval_requests)
            .where(approval_requests.c.id.in_(claimed))
            .values(jeopardy_raised_at=now)
            .returning(*approval_requests.c)
        )
        return sorted((_request(row) for row in rows), key=lambda request: request.due_at)


def _request(row: sa.Row) -> ApprovalRequest:
    fields = row._asdict()
    return ApprovalRequest(**fields | {"role": Role(row.role), "status": RequestStatus(row.status)})


class Proposals:
    """The proposal of each priced version of an order."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def keep(self, drafts: Sequence[ProposalRecord]) -> None:
        """Keep newly priced versions' proposals (of distinct orders) in place of earlier versions', in one
        statement."""
        await store_all_if_live(
            self._connection, proposals, order_versions, [vars(draft) for draft in drafts], only_newer=True
        )

    async def get(self, order_id: str, *, version: int, for_update: bool = False) -> ProposalRecord | None:
        """The proposal of this version of the order; None when this version has none (it was rejected when
        priced)."""
        query = sa.select(proposals).where(proposals.c.order_id == order_id, proposals.c.order_version == version)
        row = (await self._connection.execute(query.with_for_update() if for_update else query)).first()
        return _proposal(row) if row else None

    async def store(self, proposal: ProposalRecord) -> None:
        """Store where the proposal of its order version now stands."""
        values = {name: value for name, value in vars(proposal).items() if name not in ("order_id", "order_version")}
        await self._connection.execute(
            sa.update(proposals)
            .where(proposals.c.order_id == proposal.order_id, proposals.c.order_version == proposal.order_version)
            .values(values)
        )

    async def claim_past_validity(self, *, today: date, limit: int = 100) -> list[ProposalRecord]:
        """Sent proposals of live quotes whose last day is before today; each locked with its quote (as a person's
        action locks the quote first), skipping those another replica or a person is working on."""
        rows = await self._connection.execute(
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


def _proposal(row: sa.Row) -> ProposalRecord:
    return ProposalRecord(**row._asdict() | {"state": ProposalState(row.state)})


class CapitalReviews:
    """The desk's reviews of each version's capital: confirmations, and flags open, resolved or closed."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, review: CapitalReview) -> None:
        await self._connection.execute(sa.insert(capital_reviews).values(vars(review)))

    async def get(self, review_id: str, *, for_update: bool = False) -> CapitalReview | None:
        query = sa.select(capital_reviews).where(capital_reviews.c.id == review_id)
        row = (await self._connection.execute(query.with_for_update() if for_update else query)).first()
        return _review(row) if row else None

    async def of_version(self, order_id: str, order_version: int) -> list[CapitalReview]:
        """The version's reviews, oldest first."""
        rows = await self._connection.execute(
            sa.select(capital_reviews)
            .where(capital_reviews.c.order_id == order_id, capital_reviews.c.order_version == order_version)
            .order_by(capital_reviews.c.reviewed_at, capital_reviews.c.id)
        )
        return [_review(row) for row in rows]

    async def open_versions(self, order_id: str) -> dict[str, int]:
        """The order's open flags: each one's order version by flag id."""
        rows = await self._connection.execute(
            sa.select(capital_reviews.c.id, capital_reviews.c.order_version).where(
                capital_reviews.c.order_id == order_id, capital_reviews.c.status == FlagStatus.OPEN
            )
        )
        return dict(rows.tuples().all())

    async def resolve(self, review_id: str, *, resolution: str, by: str, at: datetime) -> None:
        await self._connection.execute(
            sa.update(capital_reviews)
            .where(capital_reviews.c.id == review_id)
            .values(status=FlagStatus.RESOLVED, resolution=resolution, resolved_by=by, resolved_at=at)
        )

    async def close(self, because: Mapping[str, str], *, at: datetime) -> None:
        """Close each of these open flags unresolved, keeping why."""
        if not because:
            return
        reviews = capital_reviews.c
        statement = (
            sa.update(capital_reviews)
            .where(reviews.id == sa.bindparam("review_id"), reviews.status == FlagStatus.OPEN)
            .values(status=FlagStatus.CLOSED, resolved_at=at, closed_because=sa.bindparam("because"))
        )
        await self._connection.execute(
            statement, [{"review_id": key, "because": reason} for key, reason in because.items()]
        )


def _review(row: sa.Row) -> CapitalReview:
    fields = row._asdict()
    return CapitalReview(
        **fields
        | {
            "verdict": Verdict(row.verdict),
            "doubted_input": row.doubted_input and CapitalInput(row.doubted_input),
            "team": row.team and Team(row.team),
            "status": row.status and FlagStatus(row.status),
        }
    )


_REP_PROPOSAL_LISTED = tuple(column for column in rep_proposals.c if column.name != "content")


class RepProposals:
    """The proposals reps wrote themselves: each uploaded version, its file kept apart from what is listed."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, proposal: RepProposal, *, content: bytes) -> None:
        row = _rep_proposal_row(proposal) | {"content": content}
        await self._connection.execute(sa.insert(rep_proposals).values(row))

    async def get(self, proposal_id: str, *, for_update: bool = False) -> RepProposal | None:
        query = sa.select(*_REP_PROPOSAL_LISTED).where(rep_proposals.c.id == proposal_id)
        row = (await self._connection.execute(query.with_for_update() if for_update else query)).first()
        return _rep_proposal(row) if row else None

    async def of_order(self, order_id: str) -> list[RepProposal]:
        """The order's rep proposals, first uploaded first."""
        rows = await self._connection.execute(
            sa.select(*_REP_PROPOSAL_LISTED)
            .where(rep_proposals.c.order_id == order_id)
            .order_by(rep_proposals.c.version)
        )
        return [_rep_proposal(row) for row in rows]

    async def content(self, proposal_id: str) -> bytes | None:
        query = sa.select(rep_proposals.c.content).where(rep_proposals.c.id == proposal_id)
        return (await self._connection.execute(query)).scalar_one_or_none()

    async def store(self, proposal: RepProposal) -> None:
        """Keep the proposal's review as it stands now: its differences, state and approval."""
        row = _rep_proposal_row(proposal)
        await self._connection.execute(
            sa.update(rep_proposals)
            .where(rep_proposals.c.id == proposal.id)
            .values({name: row[name] for name in ("differences", "state", "approved_by", "approved_at")})
        )


def _rep_proposal_row(proposal: RepProposal) -> dict[str, object]:
    differences = [
        vars(difference) | {"accepted_at": difference.accepted_at and difference.accepted_at.isoformat()}
        for difference in proposal.differences
    ]
    return vars(proposal) | {"differences": differences}


def _rep_proposal(row: sa.Row) -> RepProposal:
    differences = tuple(
        Difference(
            **kept
            | {
                "kind": DifferenceKind(kept["kind"]),
                "accepted_at": kept["accepted_at"] and datetime.fromisoformat(kept["accepted_at"]),
            }
        )
        for kept in row.differences
    )
    return RepProposal(**row._asdict() | {"differences": differences, "state": RepProposalState(row.state)})


class OrderHistory:
    """What pricing heard of each order besides its pricing: its later versions, its cancel, who corrected it."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def note_version(self, order_id: str, version: int) -> None:
        await note_version(self._connection, order_versions, order_id=order_id, version=version)

    async def note_cancelled(self, order_id: str, *, version: int, reason: str) -> None:
        await note_cancelled(self._connection, order_versions, order_id=order_id, version=version, reason=reason)

    async def standing(self, order_id: str) -> Standing | None:
        return await standing(self._connection, order_versions, order_id)

    async def refusal(self, order_id: str, *, version: int) -> str | None:
        return await refusal(self._connection, order_versions, order_id=order_id, version=version)

    async def note_corrector(self, order_id: str, corrected_by: str) -> None:
        await note_corrector(self._connection, order_correctors, order_id=order_id, corrected_by=corrected_by)

    async def people_of(self, quote: StoredQuote) -> OrderPeople:
        """The order's people as pricing knows them: the priced order's submitter and reps, and every corrector."""
        correctors = await correctors_of(self._connection, order_correctors, quote.order_id)
        if quote.order is None:  # priced before orders were kept: nobody is known, so only the desk's roles see it
            return OrderPeople(order_id=quote.order_id, corrected_by=correctors)
        return OrderPeople.of(quote.order, corrected_by=correctors)


class PublishedCatalogues:
    """The catalogue versions announced on catalogue.published."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def note_first_announcement(self, version: str) -> bool:
        """Note that this catalogue version is announced; False when it was before."""
        return await insert_if_absent(self._connection, published_catalogues, version=version)

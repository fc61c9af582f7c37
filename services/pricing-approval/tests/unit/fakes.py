"""Pricing-approval's unit of work in memory, for driving its handlers in unit tests: the stores' semantics the
handlers rely on (a dead or older version is not stored, only pending requests are withdrawn or claimed), with
locks that lock nothing. The integration tests keep the SQL stores to the same semantics."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from orderdesk_shared.access import OrderPeople
from orderdesk_shared.fake_unit_of_work import FakeUnitOfWork
from orderdesk_shared.order_versions import Standing
from pricing_approval.domain.capital_review import CapitalReview, FlagStatus
from pricing_approval.domain.proposal_review import RepProposal
from pricing_approval.domain.proposals import ProposalRecord, ProposalState
from pricing_approval.domain.records import ApprovalRequest, StoredQuote
from pricing_approval.domain.workflow import CLOSED_QUOTES, QuoteStatus, RequestStatus


class InMemoryOrderHistory:
    def __init__(self) -> None:
        self.standings: dict[str, Standing] = {}
        self.correctors: dict[str, set[str]] = {}

    async def note_version(self, order_id: str, version: int) -> None:
        if version > 1:
            known = self.standings.get(order_id, Standing(order_id, version, None))
            self.standings[order_id] = replace(known, live_version=max(known.live_version, version))

    async def note_cancelled(self, order_id: str, *, version: int, reason: str) -> None:
        known = self.standings.get(order_id, Standing(order_id, version, None))
        self.standings[order_id] = replace(known, cancel_reason=known.cancel_reason or reason)

    async def standing(self, order_id: str) -> Standing | None:
        return self.standings.get(order_id)

    async def refusal(self, order_id: str, *, version: int) -> str | None:
        known = self.standings.get(order_id)
        return known.refusal(version) if known else None

    async def note_corrector(self, order_id: str, corrected_by: str) -> None:
        self.correctors.setdefault(order_id, set()).add(corrected_by)

    async def people_of(self, quote: StoredQuote) -> OrderPeople:
        correctors = frozenset(self.correctors.get(quote.order_id, ()))
        if quote.order is None:
            return OrderPeople(order_id=quote.order_id, corrected_by=correctors)
        return OrderPeople.of(quote.order, corrected_by=correctors)

    def is_live(self, order_id: str, version: int) -> bool:
        """What the SQL stores ask as they store a version: neither the order cancelled nor a later version known."""
        known = self.standings.get(order_id)
        return known is None or (known.cancel_reason is None and known.live_version <= version)


class InMemoryQuotes:
    def __init__(self, orders: InMemoryOrderHistory) -> None:
        self.by_order: dict[str, StoredQuote] = {}
        self._orders = orders

    async def record(self, priced: Sequence[StoredQuote]) -> set[tuple[str, int]]:
        stored = set()
        for quote in priced:
            kept = self.by_order.get(quote.order_id)
            if self._orders.is_live(quote.order_id, quote.order_version) and (
                kept is None or kept.order_version < quote.order_version
            ):
                self.by_order[quote.order_id] = quote
                stored.add((quote.order_id, quote.order_version))
        return stored

    async def get(self, order_id: str, *, for_update: bool = False) -> StoredQuote | None:
        return self.by_order.get(order_id)

    async def settle(self, order_id: str, *, status: QuoteStatus, at: datetime, rejection: dict | None = None) -> None:
        quote = self.by_order[order_id]
        self.by_order[order_id] = replace(quote, status=status, decided_at=at, rejection=rejection or quote.rejection)


class InMemoryApprovalRequests:
    def __init__(self) -> None:
        self.by_id: dict[str, ApprovalRequest] = {}
        self.decisions: list[dict[str, object]] = []

    async def insert(self, requests: Sequence[ApprovalRequest]) -> None:
        self.by_id |= {request.id: request for request in requests}

    async def get(self, request_id: str, *, for_update: bool = False) -> ApprovalRequest | None:
        return self.by_id.get(request_id)

    async def of_version(self, order_id: str, order_version: int) -> list[ApprovalRequest]:
        asked = [r for r in self.by_id.values() if (r.order_id, r.order_version) == (order_id, order_version)]
        return sorted(asked, key=lambda request: (request.requested_at, request.role))

    async def latest_earlier(self, order_id: str, *, before: int) -> list[ApprovalRequest]:
        versions = [r.order_version for r in self.by_id.values() if r.order_id == order_id and r.order_version < before]
        return await self.of_version(order_id, max(versions)) if versions else []

    async def pending_versions(self, order_id: str) -> dict[str, int]:
        return {r.id: r.order_version for r in self._pending() if r.order_id == order_id}

    async def withdraw(self, because: Mapping[str, str], *, at: datetime) -> None:
        for request in self._pending():
            if request.id in because:
                self.by_id[request.id] = replace(
                    request, status=RequestStatus.WITHDRAWN, decided_at=at, withdrawn_because=because[request.id]
                )

    async def decide(
        self, request: ApprovalRequest, *, status: RequestStatus, actor: str, comment: str | None, at: datetime
    ) -> None:
        self.by_id[request.id] = replace(request, status=status, decided_by=actor, decided_at=at, comment=comment)
        self.decisions.append({"request_id": request.id, "decision": status, "actor": actor, "comment": comment})

    async def claim_past_due(self, *, now: datetime, limit: int = 100) -> list[ApprovalRequest]:
        due = [r for r in self._pending() if r.due_at <= now and r.jeopardy_raised_at is None]
        claimed = [replace(r, jeopardy_raised_at=now) for r in sorted(due, key=lambda r: r.due_at)[:limit]]
        self.by_id |= {request.id: request for request in claimed}
        return claimed

    def _pending(self) -> list[ApprovalRequest]:
        return [request for request in self.by_id.values() if request.status is RequestStatus.PENDING]


class InMemoryProposals:
    def __init__(self, orders: InMemoryOrderHistory, quotes: InMemoryQuotes) -> None:
        self.by_order: dict[str, ProposalRecord] = {}
        self._orders, self._quotes = orders, quotes

    async def keep(self, drafts: Sequence[ProposalRecord]) -> None:
        for draft in drafts:
            kept = self.by_order.get(draft.order_id)
            if self._orders.is_live(draft.order_id, draft.order_version) and (
                kept is None or kept.order_version < draft.order_version
            ):
                self.by_order[draft.order_id] = draft

    async def get(self, order_id: str, *, version: int, for_update: bool = False) -> ProposalRecord | None:
        kept = self.by_order.get(order_id)
        return kept if kept and kept.order_version == version else None

    async def store(self, proposal: ProposalRecord) -> None:
        if (kept := self.by_order.get(proposal.order_id)) and kept.order_version == proposal.order_version:
            self.by_order[proposal.order_id] = proposal

    async def claim_past_validity(self, *, today: date, limit: int = 100) -> list[ProposalRecord]:
        def open_quote(proposal: ProposalRecord) -> bool:
            quote = self._quotes.by_order.get(proposal.order_id)
            return (
                quote is not None
                and quote.order_version == proposal.order_version
                and quote.status not in CLOSED_QUOTES
            )

        past = [
            proposal
            for proposal in self.by_order.values()
            if proposal.state is ProposalState.SENT and proposal.expires_on < today and open_quote(proposal)
        ]
        return sorted(past, key=lambda proposal: proposal.expires_on)[:limit]


class InMemoryCapitalReviews:
    def __init__(self) -> None:
        self.by_id: dict[str, CapitalReview] = {}

    async def add(self, review: CapitalReview) -> None:
        self.by_id[review.id] = review

    async def get(self, review_id: str, *, for_update: bool = False) -> CapitalReview | None:
        return self.by_id.get(review_id)

    async def of_version(self, order_id: str, order_version: int) -> list[CapitalReview]:
        reviews = [r for r in self.by_id.values() if (r.order_id, r.order_version) == (order_id, order_version)]
        return sorted(reviews, key=lambda review: (review.reviewed_at, review.id))

    async def open_versions(self, order_id: str) -> dict[str, int]:
        return {r.id: r.order_version for r in self.by_id.values() if r.order_id == order_id and _open(r)}

    async def resolve(self, review_id: str, *, resolution: str, by: str, at: datetime) -> None:
        self.by_id[review_id] = replace(
            self.by_id[review_id], status=FlagStatus.RESOLVED, resolution=resolution, resolved_by=by, resolved_at=at
        )

    async def close(self, because: Mapping[str, str], *, at: datetime) -> None:
        for review_id, reason in because.items():
            if _open(review := self.by_id[review_id]):
                self.by_id[review_id] = replace(review, status=FlagStatus.CLOSED, resolved_at=at, closed_because=reason)


def _open(review: CapitalReview) -> bool:
    return review.status is FlagStatus.OPEN


class InMemoryRepProposals:
    def __init__(self) -> None:
        self.by_id: dict[str, RepProposal] = {}
        self.contents: dict[str, bytes] = {}

    async def add(self, proposal: RepProposal, *, content: bytes) -> None:
        self.by_id[proposal.id] = proposal
        self.contents[proposal.id] = content

    async def get(self, proposal_id: str, *, for_update: bool = False) -> RepProposal | None:
        return self.by_id.get(proposal_id)

    async def of_order(self, order_id: str) -> list[RepProposal]:
        return sorted((p for p in self.by_id.values() if p.order_id == order_id), key=lambda p: p.version)

    async def content(self, proposal_id: str) -> bytes | None:
        return self.contents.get(proposal_id)

    async def store(self, proposal: RepProposal) -> None:
        self.by_id[proposal.id] = proposal


class InMemoryPublishedCatalogues:
    def __init__(self) -> None:
        self.versions: set[str] = set()

    async def note_first_announcement(self, version: str) -> bool:
        first = version not in self.versions
        self.versions.add(version)
        return first


class FakePricingUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.orders = InMemoryOrderHistory()
        self.quotes = InMemoryQuotes(self.orders)
        self.approvals = InMemoryApprovalRequests()
        self.proposals = InMemoryProposals(self.orders, self.quotes)
        self.catalogues = InMemoryPublishedCatalogues()
        self.capital_reviews = InMemoryCapitalReviews()
        self.rep_proposals = InMemoryRepProposals()

"""Uploading and approving a rep's proposal with pricing's unit of work in memory: each upload is the next version
and supersedes the one still in review; the order's own people do not approve it, and a cancelled order takes none."""

from datetime import UTC, datetime

import pytest

from orderdesk_shared.auth import Principal, Role
from pricing_approval.domain.proposal_review import DifferenceKind, RepProposalState
from pricing_approval.handlers import CONFLICT, FORBIDDEN, MISSING, Refused
from pricing_approval.rep_proposal_documents import PDF, ProposalDocument
from pricing_approval.rep_proposals import approve_rep_proposal, upload_rep_proposal

from ..builders import internet_order, qualified
from .fakes import FakePricingUnitOfWork
from .test_handlers import CONTEXT, price

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
REP = Principal(subject="rep-007", roles=frozenset({Role.SALES_REP}))
SPECIALIST = Principal(subject="kim-specialist", roles=frozenset({Role.SPECIALIST}))
# The order's submitter: a specialist, but one of the order's people.
SUBMITTER = Principal(subject="sam-specialist", roles=frozenset({Role.SPECIALIST}))
# Dedicated Internet, 1 Gbps for 36 months at 5% off: $1,581.75 a month, $1,500.00 once.
AS_PRICED = "Item 1: DIA-FIBER, 36 months, MRC $1,581.75, NRC $1,500.00"


async def _priced() -> FakePricingUnitOfWork:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-REP")))
    return uow


async def _upload(uow, text: str, *, by: Principal = REP):
    return await upload_rep_proposal(
        uow,
        order_id="PO-REP",
        uploader=by,
        file_name="offer.pdf",
        content=text.encode(),
        document=ProposalDocument(PDF, text),
        now=NOW,
        rules=CONTEXT.rules,
    )


async def test_a_new_upload_is_the_next_version_and_supersedes_the_one_in_review():
    uow = await _priced()
    first = await _upload(uow, AS_PRICED.replace("$1,581.75", "$1,500.00"))
    assert [d.kind for d in first.differences] == [DifferenceKind.MRC]

    second = await _upload(uow, AS_PRICED)
    approved = await approve_rep_proposal(uow, order_id="PO-REP", proposal_id=second.id, reviewer=SPECIALIST, now=NOW)

    assert (second.version, second.differences) == (2, ())
    kept = await uow.rep_proposals.of_order("PO-REP")
    assert [(p.version, p.state) for p in kept] == [(1, RepProposalState.SUPERSEDED), (2, RepProposalState.APPROVED)]
    assert (approved.approved_by, approved.approved_at) == ("kim-specialist", NOW)
    assert uow.rep_proposals.contents[second.id] == AS_PRICED.encode()


@pytest.mark.parametrize(
    ("uploader", "reviewer", "refusal"),
    [
        (Principal(subject="rep-999", roles=frozenset({Role.SALES_REP})), None, MISSING),
        (REP, SUBMITTER, FORBIDDEN),
    ],
    ids=["another-reps-order", "the-submitter-approves"],
)
async def test_only_the_orders_rep_uploads_and_none_of_its_people_approves(uploader, reviewer, refusal):
    uow = await _priced()
    with pytest.raises(Refused) as refused:
        uploaded = await _upload(uow, AS_PRICED, by=uploader)
        await approve_rep_proposal(uow, order_id="PO-REP", proposal_id=uploaded.id, reviewer=reviewer, now=NOW)
    assert refused.value.reason == refusal


async def test_a_cancelled_order_takes_no_rep_proposal():
    uow = await _priced()
    await uow.orders.note_cancelled("PO-REP", version=1, reason="customer withdrew")

    with pytest.raises(Refused) as refused:
        await _upload(uow, AS_PRICED)
    assert refused.value.reason == CONFLICT

"""Pricing-approval's API for proposals reps wrote themselves: upload a version (PDF or DOCX) for an order, list the
order's versions with the differences the review found, fetch a version's file, accept a difference with a reason,
approve a version with none left open."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from pydantic.alias_generators import to_camel

from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal, Role, SignedIn, require_roles
from orderdesk_shared.context import ContextDep
from orderdesk_shared.limits import Note
from pricing_approval.api import ProposalKeeper, act, visible_quote
from pricing_approval.domain.proposal_review import RepProposal
from pricing_approval.rep_proposal_documents import MAX_DOCUMENT_BYTES, PDF, UnreadableDocument, read_document
from pricing_approval.rep_proposals import accept_rep_difference, approve_rep_proposal, upload_rep_proposal
from pricing_approval.repository import RepProposals

router = APIRouter(prefix="/pricing", tags=["pricing"])
# The upload is a whole document: it takes the larger body limit (the max_upload_bytes setting).
UPLOAD_PATHS = ("/pricing/orders/{order_id}/rep-proposals",)
# Who reviews a rep's proposal: the desk's specialists (never on an order they submitted, corrected or are named on).
ProposalReviewer = Annotated[Principal, Depends(require_roles(Role.SPECIALIST))]
_FILE_NAME_CHARS = 200


class Acceptance(BaseModel):
    reason: Annotated[Note, Field(min_length=1, description="why the document may say this as it stands")]


def rep_proposal_view(proposal: RepProposal) -> dict:
    differences = [{to_camel(name): value for name, value in vars(d).items()} for d in proposal.differences]
    return {to_camel(name): value for name, value in vars(proposal).items() if name != "text"} | {
        "differences": differences,
        "openDifferences": sum(1 for difference in proposal.differences if difference.open),
    }


@router.post("/orders/{order_id}/rep-proposals", status_code=status.HTTP_201_CREATED)
async def upload_order_rep_proposal(
    order_id: str,
    file: Annotated[UploadFile, File(description="the proposal as the rep wrote it: a PDF or a Word (DOCX) file")],
    uploader: ProposalKeeper,
    db: DatabaseDep,
    context: ContextDep,
) -> dict:
    """Upload a version of the rep's own proposal for the order (its reps or a specialist): its text is compared with
    the order's priced quote, the catalogue and the market policies' required clauses, and the differences listed."""
    content = await file.read(MAX_DOCUMENT_BYTES + 1)
    try:
        # Parsing a document takes CPU: off the event loop.
        document = await asyncio.to_thread(read_document, content)
    except UnreadableDocument as unreadable:
        raise RequestValidationError(
            [{"loc": ("body", "file"), "msg": str(unreadable), "type": "value_error"}]
        ) from unreadable
    file_name = (file.filename or "rep-proposal")[-_FILE_NAME_CHARS:]
    uploaded = await act(
        db,
        context,
        lambda uow, now: upload_rep_proposal(
            uow,
            order_id=order_id,
            uploader=uploader,
            file_name=file_name,
            content=content,
            document=document,
            now=now,
            rules=context.rules,
        ),
    )
    return rep_proposal_view(uploaded)


@router.get("/orders/{order_id}/rep-proposals")
async def order_rep_proposals(order_id: str, reader: SignedIn, db: DatabaseDep) -> list[dict]:
    """Every version of the rep's proposals for the order, first uploaded first, with the differences and state."""
    async with db.engine.connect() as connection:
        await visible_quote(connection, order_id, reader)
        proposals = await RepProposals(connection).of_order(order_id)
    return [rep_proposal_view(proposal) for proposal in proposals]


@router.get("/orders/{order_id}/rep-proposals/{proposal_id}/document", response_class=Response)
async def rep_proposal_document(order_id: str, proposal_id: str, reader: SignedIn, db: DatabaseDep) -> Response:
    """The file of a version, as it was uploaded."""
    async with db.engine.connect() as connection:
        await visible_quote(connection, order_id, reader)
        proposal = await RepProposals(connection).get(proposal_id)
        if proposal is None or proposal.order_id != order_id:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {order_id} has no rep proposal {proposal_id}")
        content = await RepProposals(connection).content(proposal_id)
    extension = "pdf" if proposal.media_type == PDF else "docx"
    return Response(
        content,
        media_type=proposal.media_type,
        headers={"Content-Disposition": f'attachment; filename="{proposal.id}-v{proposal.version}.{extension}"'},
    )


@router.post("/orders/{order_id}/rep-proposals/{proposal_id}/differences/{number}/accept")
async def accept_order_rep_difference(
    order_id: str,
    proposal_id: str,
    number: int,
    body: Acceptance,
    reviewer: ProposalReviewer,
    db: DatabaseDep,
    context: ContextDep,
) -> dict:
    """Accept one difference as the document states it, with the desk's reason (instead of a corrected upload)."""
    accepted = await act(
        db,
        context,
        lambda uow, now: accept_rep_difference(
            uow,
            order_id=order_id,
            proposal_id=proposal_id,
            number=number,
            reviewer=reviewer,
            reason=body.reason,
            now=now,
        ),
    )
    return rep_proposal_view(accepted)


@router.post("/orders/{order_id}/rep-proposals/{proposal_id}/approve")
async def approve_order_rep_proposal(
    order_id: str, proposal_id: str, reviewer: ProposalReviewer, db: DatabaseDep, context: ContextDep
) -> dict:
    """Approve the version as final: it has no open difference and is of the order's version in force. It stands
    beside the generated proposal; the customer's signature is recorded on the order's proposal as before."""
    approved = await act(
        db,
        context,
        lambda uow, now: approve_rep_proposal(
            uow, order_id=order_id, proposal_id=proposal_id, reviewer=reviewer, now=now
        ),
    )
    return rep_proposal_view(approved)

"""Pricing-approval's API for the desk's capital review: confirm an order's capital inputs, flag one site's input for
the team that owns it (the order is held until the flag is resolved), resolve a flag with the team's answer."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.context import ContextDep
from orderdesk_shared.limits import REQUEST_LIMITS, Identifier, Note
from pricing_approval.api import act, review_view
from pricing_approval.capital_reviews import resolve_capital_flag, review_capital
from pricing_approval.domain.capital_review import TEAM_ROLES, CapitalInput, Team, Verdict

router = APIRouter(prefix="/pricing", tags=["pricing"])

# Who reviews an order's capital: the desk's specialists; a flag sent to a team with a role of its own, that role too.
CapitalReviewer = Annotated[Principal, Depends(require_roles(Role.SPECIALIST))]
FlagResolver = Annotated[Principal, Depends(require_roles(Role.SPECIALIST, *TEAM_ROLES.values()))]


class CapitalReviewBody(BaseModel):
    """A confirmation of the capital inputs as they stand, or a flag on one site's input for the team that owns it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, **REQUEST_LIMITS)

    verdict: Verdict
    item_id: Identifier | None = Field(default=None, description="a flag's site: the item of a capital line")
    input: CapitalInput | None = Field(default=None, description="a flag's doubted input")
    reason: Note | None = Field(default=None, min_length=1, description="why the input is doubted")
    team: Team | None = Field(default=None, description="the team the flag is sent to: the input's owner")

    @model_validator(mode="after")
    def _a_flag_says_what_and_why(self) -> "CapitalReviewBody":
        flag_fields = (self.item_id, self.input, self.reason, self.team)
        if self.verdict is Verdict.FLAGGED and None in flag_fields:
            raise ValueError("a flag names the itemId, the input, the reason and the team")
        if self.verdict is Verdict.CONFIRMED and any(field is not None for field in flag_fields):
            raise ValueError("a confirmation names no site, input, reason or team: it confirms them all")
        return self


class FlagResolution(BaseModel):
    resolution: Annotated[Note, Field(min_length=1, description="the team's answer, as the desk records it")]


@router.post("/orders/{order_id}/capital-review")
async def review_order_capital(
    order_id: str, body: CapitalReviewBody, reviewer: CapitalReviewer, db: DatabaseDep, context: ContextDep
) -> dict:
    """Confirm the capital inputs of the order's latest version, or flag one site's input for the team that owns it:
    the order is held (CAPITAL_REVIEW_FLAGGED) until the flag is resolved."""
    reviewed = await act(
        db,
        context,
        lambda uow, now: review_capital(
            uow,
            order_id=order_id,
            reviewer=reviewer,
            item_id=body.item_id,
            doubted=body.input,
            reason=body.reason,
            team=body.team,
            now=now,
        ),
    )
    return review_view(reviewed)


@router.post("/orders/{order_id}/capital-review/flags/{flag_id}/resolve")
async def resolve_order_capital_flag(
    order_id: str, flag_id: str, body: FlagResolution, resolver: FlagResolver, db: DatabaseDep, context: ContextDep
) -> dict:
    """Resolve an open capital flag with the team's answer: the order is released from it, and approved when
    nothing else holds it (a specialist resolves any flag, finance those sent to finance)."""
    resolved = await act(
        db,
        context,
        lambda uow, now: resolve_capital_flag(
            uow, order_id=order_id, flag_id=flag_id, resolver=resolver, resolution=body.resolution, now=now
        ),
    )
    return review_view(resolved)

"""What pricing keeps of an order's version: its quote, and the approval requests asked on it."""

from dataclasses import dataclass
from datetime import datetime

from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.pricing_approval import ApprovalRequirement, Pricing
from orderdesk_shared.events.serviceability import SiteQualification
from pricing_approval.domain.approvals import ApprovalReason, RequiredApproval, Trigger
from pricing_approval.domain.workflow import QuoteStatus, RequestStatus


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

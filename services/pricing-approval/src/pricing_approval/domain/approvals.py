"""Which approvals a priced order needs, and who may give them (DOMAIN.md, "Pricing and approvals")."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from orderdesk_shared.auth import Role
from orderdesk_shared.money import dollars, percent, plain
from pricing_approval.domain.capital import CapitalView
from pricing_approval.domain.markets import MarketPolicies
from pricing_approval.domain.policy import ApprovalPolicy
from pricing_approval.domain.pricing import Quote


class Trigger(StrEnum):
    DISCOUNT = "discount"
    ICB = "icb"
    TOTAL_CONTRACT_VALUE = "total-contract-value"
    NON_STANDARD_TERMS = "non-standard-terms"
    CAPITAL = "capital"


@dataclass(frozen=True)
class ApprovalReason:
    """Why an approval is needed; `inputs` are the figures the approver decides on."""

    trigger: Trigger
    explanation: str
    inputs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RequiredApproval:
    role: Role
    sla_business_days: int
    reasons: tuple[ApprovalReason, ...]

    @property
    def explanation(self) -> str:
        return "; ".join(reason.explanation for reason in self.reasons)

    @property
    def inputs(self) -> frozenset[tuple[Trigger, tuple[tuple[str, str], ...]]]:
        return frozenset((reason.trigger, reason.inputs) for reason in self.reasons)


@dataclass(frozen=True)
class Rejection:
    reason_code: Literal["CAPITAL_POLICY"]
    explanation: str


@dataclass(frozen=True)
class ApprovalOutcome:
    """The approvals to ask, all in parallel; or the policy rejection, when nobody may approve the order."""

    approvals: tuple[RequiredApproval, ...]
    rejection: Rejection | None = None


def required_approvals(
    *,
    quote: Quote,
    non_standard_terms: str | None,
    capital: CapitalView | None,
    policy: ApprovalPolicy,
    markets: MarketPolicies,
    item_markets: Mapping[str, str | None],
) -> ApprovalOutcome:
    """Every approval the matrix asks for, one per role with each reason spelled out; an item's discount by its
    market's tiers where the market's policy departs from the matrix (`item_markets`: each item's market)."""
    if capital is not None and (rejection := _capital_rejection(capital, policy)):
        return ApprovalOutcome(approvals=(), rejection=rejection)
    reasons: dict[Role, list[ApprovalReason]] = {}
    for role, reason in (
        *_discount(quote, policy, markets, item_markets),
        *_icb(quote, policy),
        *_total_contract_value(quote, policy),
        *_legal(non_standard_terms, policy),
        *(_capital(capital, policy) if capital is not None else ()),
    ):
        reasons.setdefault(role, []).append(reason)
    return ApprovalOutcome(
        approvals=tuple(
            RequiredApproval(role=role, sla_business_days=policy.sla_business_days[role], reasons=tuple(given))
            for role, given in reasons.items()
        )
    )


def approvals_to_reask(
    *, required: Sequence[RequiredApproval], granted: Sequence[RequiredApproval]
) -> tuple[RequiredApproval, ...]:
    """For a revised order: the approvals it needs that were not granted before on exactly the same inputs."""
    still_good = {(approval.role, approval.inputs) for approval in granted}
    return tuple(approval for approval in required if (approval.role, approval.inputs) not in still_good)


def _discount(
    quote: Quote, policy: ApprovalPolicy, markets: MarketPolicies, item_markets: Mapping[str, str | None]
) -> Iterator[tuple[Role, ApprovalReason]]:
    """Each item's discount is judged by the matrix's tiers, or by its market's where the market's policy departs
    from them; the most senior approver any item needs decides, on every discount above automatic."""
    seniority = {tier.role: rank for rank, tier in enumerate(policy.discount_tiers)}
    judged = []
    for line in quote.lines:
        market = markets.discount_thresholds_for(item_markets.get(line.item_id), line.offering_id)
        tiers = market.rule.discount_tiers if market else policy.discount_tiers
        if line.discount_percent > tiers[0].above_percent:
            tier = next(tier for tier in reversed(tiers) if line.discount_percent > tier.above_percent)
            judged.append((line, tier, market))
    if not judged:
        return
    # The most senior approver needed; of the items that need them, the largest discount is named.
    line, tier, market = max(judged, key=lambda judged: (seniority[judged[1].role], judged[0].discount_percent))
    cited = f" ({market.cited()})" if market else ""
    yield (
        tier.role,
        ApprovalReason(
            trigger=Trigger.DISCOUNT,
            explanation=(
                f"discount {percent(line.discount_percent)} on item {line.item_id}"
                f" > {percent(tier.above_percent)}{cited} → {tier.role}"
            ),
            inputs=tuple((f"item {line.item_id} discount", str(line.discount_percent)) for line, _, _ in judged),
        ),
    )


def _icb(quote: Quote, policy: ApprovalPolicy) -> Iterator[tuple[Role, ApprovalReason]]:
    role = policy.icb.role
    for line in quote.lines:
        if line.icb_reasons:
            yield (
                role,
                ApprovalReason(
                    trigger=Trigger.ICB,
                    explanation=f"item {line.item_id}: {'; '.join(line.icb_reasons)} (ICB pricing) → {role}",
                    inputs=(
                        (f"item {line.item_id} net MRC", str(line.net_mrc)),
                        (f"item {line.item_id} net NRC", str(line.net_nrc)),
                        (f"item {line.item_id} priced", " ".join(line.icb_reasons)),
                    ),
                ),
            )


def _total_contract_value(quote: Quote, policy: ApprovalPolicy) -> Iterator[tuple[Role, ApprovalReason]]:
    rule = policy.total_contract_value
    tcv = quote.total_contract_value
    if tcv >= rule.at_least:
        yield (
            rule.role,
            ApprovalReason(
                trigger=Trigger.TOTAL_CONTRACT_VALUE,
                explanation=f"total contract value {dollars(tcv)} ≥ {dollars(rule.at_least)} → {rule.role}",
                inputs=(("total contract value", str(tcv)),),
            ),
        )


def _legal(non_standard_terms: str | None, policy: ApprovalPolicy) -> Iterator[tuple[Role, ApprovalReason]]:
    terms = (non_standard_terms or "").strip()
    if terms:
        role = policy.non_standard_terms.role
        yield (
            role,
            ApprovalReason(
                trigger=Trigger.NON_STANDARD_TERMS,
                explanation=f"non-standard legal terms “{terms}” → {role}",
                inputs=(("legal terms", terms),),
            ),
        )


def _capital(capital: CapitalView, policy: ApprovalPolicy) -> Iterator[tuple[Role, ApprovalReason]]:
    """Finance past the no-approval payback; finance and VP sales past the term (at most 36) or a big capex."""
    rules = policy.capital
    payback = capital.payback_months
    assert payback is not None, "an order that never pays back is rejected before approvals"
    limit = min(Decimal(capital.term_months), rules.finance_payback_up_to_months)
    limit_text = plain(limit) + (" (the term)" if limit < rules.finance_payback_up_to_months else "")
    shown = f"payback {plain(payback)} months ({_payback_figures(capital)})"
    if capital.net_capex > rules.escalation_net_capex_above:
        roles = rules.escalation_roles
        why = f"net capex {dollars(capital.net_capex)} > {dollars(rules.escalation_net_capex_above)}, {shown}"
    elif payback > limit:
        roles, why = rules.escalation_roles, f"{shown} > {limit_text}"
    elif payback > rules.no_approval_payback_up_to_months:
        roles = rules.finance_roles
        why = f"{shown} > {plain(rules.no_approval_payback_up_to_months)} and ≤ {limit_text}"
    else:
        return
    explanation = f"{why} → {' + '.join(roles)}"
    inputs = (
        ("net capex", str(capital.net_capex)),
        ("monthly contribution", str(capital.monthly_contribution)),
        ("term months", str(capital.term_months)),
    )
    for role in roles:
        yield role, ApprovalReason(trigger=Trigger.CAPITAL, explanation=explanation, inputs=inputs)


def _capital_rejection(capital: CapitalView, policy: ApprovalPolicy) -> Rejection | None:
    limit = policy.capital.reject_payback_above_months
    payback = capital.payback_months
    if payback is not None and payback <= limit:
        return None
    figures = _payback_figures(capital)
    too_long = "never pays back" if payback is None else f"pays back in {plain(payback)} months > {plain(limit)}"
    return Rejection(
        reason_code="CAPITAL_POLICY",
        explanation=(
            f"construction {too_long} ({figures}) → rejected CAPITAL_POLICY;"
            " the rep may return with a customer contribution (CIAC) or a longer term"
        ),
    )


def _payback_figures(capital: CapitalView) -> str:
    return (
        f"net capex {dollars(capital.net_capex)} = construction {dollars(capital.construction_estimate)}"
        f" − CIAC {dollars(capital.ciac)}, monthly contribution {dollars(capital.monthly_contribution)}"
    )

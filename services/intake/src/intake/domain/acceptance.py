"""What intake decides of a submitted or corrected order: its version validated against the rules in force (or
stopped with findings), held when it likely duplicates a live order, and the events that announce it (a correction's
with its history line)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from intake.domain.accounts import accounts_wanted
from intake.domain.duplicates import duplicate_finding, fingerprint, received_since
from intake.domain.installed_base import InstalledProduct
from intake.domain.records import NewOrder, Revision, SubmittedOrder
from intake.domain.validation import IntakeRules, Validation, validate
from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected, OrderReceived, OrderValidated
from orderdesk_shared.events.order import ClientAccounts, OrderState, ProductOrder, Stage
from orderdesk_shared.order_state import OrderFact, OrderStatus, advance, findings_json, received

STOP_KIND = {
    OrderState.REJECTED: FalloutKind.REJECTED,
    OrderState.PENDING: FalloutKind.PENDING,
    OrderState.HELD: FalloutKind.HELD,
}


def assess(
    submitted: SubmittedOrder,
    rules: IntakeRules,
    *,
    now: datetime,
    installed: Sequence[InstalledProduct],
    version: int = 1,
) -> NewOrder:
    """Validate a submitted order (or a corrected one, as its next `version`): what intake will store and announce
    for it, before looking for duplicates."""
    validation = validate(submitted.order, rules, today=now.date(), installed=installed)
    validation = with_findings(validation, submitted.channel_findings)
    return NewOrder(
        validation=validation,
        status=status_after(validation, version=version),
        received_at=now,
        idempotency_key=submitted.idempotency_key,
        request_document=submitted.request_document,
        source_id=submitted.source,
        fingerprint=fingerprint(validation.order),
        duplicate_window_days=rules.matrix.likely_duplicate_window_days,
        accounts=accounts_wanted(validation.order, reference=rules.reference, markets=rules.markets)
        if validation.state is OrderState.IN_PROGRESS
        else None,
    )


def with_findings(validation: Validation, findings: Sequence[Finding]) -> Validation:
    """Validation's findings after those the channel or request made (what could not be read or used as given)."""
    if not findings:
        return validation
    return Validation(order=validation.order, findings=[*findings, *validation.findings])


def status_after(validation: Validation, *, version: int) -> OrderStatus:
    """A version as validation leaves it: in progress, or stopped at validation with its findings."""
    status = received(version, [item.id for item in validation.order.items])
    if validation.state is OrderState.IN_PROGRESS:
        return advance(status, OrderFact(version, Stage.VALIDATED, Stage.VALIDATED))
    kind = FalloutKind.PENDING if validation.state is OrderState.PENDING else FalloutKind.REJECTED
    return advance(status, OrderFact(version, kind, Stage.VALIDATED, findings_json(validation.findings)))


def valid_orders(new_orders: Sequence[NewOrder]) -> list[NewOrder]:
    """The orders that passed validation: those that may duplicate a live order."""
    return [new for new in new_orders if new.status.state is OrderState.IN_PROGRESS]


def duplicate_window_start(valid: Sequence[NewOrder]) -> datetime:
    """Since when an earlier order duplicates them: the window ends when the earliest of them was received (moments
    before the others)."""
    return received_since(min(new.received_at for new in valid), window_days=valid[0].duplicate_window_days)


def held_as_duplicates(new_orders: Sequence[NewOrder], earlier: Mapping[str, str]) -> list[NewOrder]:
    """Each valid order that asks what a live order of its account asks, under another externalId, held: `earlier`
    names the stored live order each duplicates; of two alike in one batch, the later one is the duplicate."""
    duplicates = dict(earlier)
    first_of: dict[tuple[str, str | None], NewOrder] = {}
    for new in valid_orders(new_orders):
        key = (new.order.account.key, new.fingerprint)
        if (first := first_of.setdefault(key, new)) is not new and first.order.external_id != new.order.external_id:
            duplicates.setdefault(new.order.id, first.order.id)
    return [
        _held_as_duplicate(new, duplicates[new.order.id]) if new.order.id in duplicates else new for new in new_orders
    ]


def _held_as_duplicate(new: NewOrder, earlier_order_id: str) -> NewOrder:
    return held_for(new, duplicate_finding(earlier_order_id, window_days=new.duplicate_window_days))


def held_for(new: NewOrder, finding: Finding) -> NewOrder:
    """A valid order held at validation for the desk, with the finding saying why and how to fix it."""
    validation = Validation(order=new.order, findings=[finding])
    status = received(new.status.version, new.status.item_ids)
    held = advance(status, OrderFact(status.version, FalloutKind.HELD, Stage.VALIDATED, findings_json([finding])))
    return replace(new, validation=validation, status=held)


def with_accounts(new: NewOrder, accounts: ClientAccounts) -> NewOrder:
    """A valid order carrying its client's accounts, on to the later stages and Fulfillment."""
    order = new.order.model_copy(update={"accounts": accounts})
    return replace(new, validation=Validation(order=order, findings=new.validation.findings))


def announcements(order: ProductOrder, status: OrderStatus, *, corrected_by: str | None = None) -> list[Fact]:
    """A version received, then passed on validated or stopped at validation with its findings."""
    common = {"order_id": order.id, "order_version": status.version, "corrected_by": corrected_by}
    if status.state is OrderState.IN_PROGRESS:
        return [OrderReceived(**common, order=order), OrderValidated(**common, order=order)]
    findings = [Finding.model_validate(finding) for finding in status.findings]
    fallout = OrderFallout(**common, stage=Stage.VALIDATED, kind=STOP_KIND[status.state], findings=findings)
    return [OrderReceived(**common, order=order), fallout]


@dataclass(frozen=True)
class Correction:
    """A corrected order as intake stores it (held when it likely duplicates a live order), its history line, and the
    events that announce it."""

    new: NewOrder
    revision: Revision
    events: tuple[Fact, ...]


def decide_correction(new: NewOrder, *, actor: str) -> Correction:
    """A corrected version is announced as any version is (received, then validated or stopped), and as corrected by
    `actor`: every service drops what it holds for the earlier version."""
    status = new.status
    revision = Revision(new.order.id, status.version, "corrected", actor, status.state, list(status.findings))
    corrected = OrderCorrected(order_id=new.order.id, order_version=status.version, corrected_by=actor)
    return Correction(new, revision, (*announcements(new.order, status, corrected_by=actor), corrected))


def earlier_alike(
    keyed: Sequence[NewOrder], earlier: Mapping[tuple[str, str], Sequence[tuple[str, str | None]]]
) -> dict[str, str]:
    """For each candidate, the first of the earlier orders alike (same account key and fingerprint: `earlier` lists
    their ids and externalIds, oldest first) that is another order under another externalId."""
    found = {}
    for new in keyed:
        others = earlier.get((new.order.account.key, new.fingerprint), [])
        match = next(
            (
                order_id
                for order_id, external_id in others
                if order_id != new.order.id and (external_id is None or external_id != new.order.external_id)
            ),
            None,
        )
        if match:
            found[new.order.id] = match
    return found

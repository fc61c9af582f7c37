"""Whether an approved order is handed off to Operations or held for billing codes, and what either tells whom."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from fulfillment_handoff.domain.billing import BillingCode, BillingMapping, CodeKey, billing_date, map_billing_codes
from fulfillment_handoff.domain.fulfillment import HandedOff, WaitingFor, waiting_for_operations
from fulfillment_handoff.domain.paths import PathPolicy, choose_path, engineering_notes
from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import EngineeringNote, HandOffCancelled, OrderHandedOff, ProcessingPath
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.pricing_approval import OrderApproved
from orderdesk_shared.markets import Markets
from orderdesk_shared.order_versions import Standing

# The states of an order's row.
HELD = "held"
HANDED_OFF = "handed-off"
SUPERSEDED = "superseded"  # held when a correction came: the hold was dropped
CANCELLED = "cancelled"  # held or not yet arrived when cancelled, or Operations confirmed the cancel


@dataclass(frozen=True)
class PriorHandOff:
    """What the order's row says before a version is decided about: the version it holds, whether held (and for
    what findings), the version Operations has."""

    version: int | None = None
    was_held: bool = False
    held_for: list | None = None
    replaces_version: int | None = None

    def settled(self, version: int) -> bool:
        """This version, or a later one, was decided about before."""
        return self.version is not None and self.version >= version


@dataclass(frozen=True)
class HandOffPackage:
    """What Operations gets for one version of an order: its billing lines, processing path and notes."""

    mapping: BillingMapping
    path: ProcessingPath
    notes: list[EngineeringNote]
    on: date

    def stored(self, approved: OrderApproved) -> dict[str, object]:
        """The values kept of it, held or handed off."""
        return {
            "order_id": approved.order_id,
            "order_version": approved.order_version,
            "processing_path": self.path.value,
            "billing_lines": [line.model_dump(mode="json", by_alias=True) for line in self.mapping.lines],
            "engineering_notes": [note.model_dump(mode="json", by_alias=True) for note in self.notes],
            "billing_date": self.on,
            "submitted_by": approved.order.submitted_by,
            "sales_reps": [rep.rep_id for rep in approved.order.sales_reps],
        }


@dataclass(frozen=True)
class HandOffDecision:
    """Hand the order off (`hand_off`: the values to store) or hold it (`hold`, waiting on the tickets of
    `waits_on`); `events` once it is stored, and whether a hold it was under is released (`releases_waits`)."""

    order_id: str
    hand_off: dict[str, object] | None = None
    hold: dict[str, object] | None = None
    waits_on: list[CodeKey] = field(default_factory=list)
    releases_waits: bool = False
    events: list[Fact] = field(default_factory=list)


def decide_hand_off(
    approved: OrderApproved,
    codes: Iterable[BillingCode],
    *,
    markets: Markets,
    paths: PathPolicy,
    prior: PriorHandOff,
    now: datetime,
) -> HandOffDecision:
    """Hand off when `codes` map every billing line, else hold on findings (announced unless this version is held
    for the same already)."""
    on = billing_date(approved.order, today=now.date())
    mapping = map_billing_codes(
        order=approved.order, pricing=approved.pricing, markets=markets, codes=codes, on=on, sites=approved.sites
    )
    facts = {"order": approved.order, "sites": approved.sites, "pricing": approved.pricing, "policy": paths}
    package = HandOffPackage(mapping=mapping, path=choose_path(**facts), notes=engineering_notes(**facts), on=on)
    if not mapping.complete:
        return _hold(approved, package, prior=prior, now=now)
    hand_off = package.stored(approved) | {
        "item_ids": [item.id for item in approved.order.items],
        "findings": [],
        "approved": None,
        "handed_off_at": now,
    }
    released = [_released(approved)] if prior.was_held else []
    handed_off = _handed_off(approved, package, replaces_version=prior.replaces_version)
    return HandOffDecision(
        approved.order_id, hand_off=hand_off, releases_waits=prior.was_held, events=[*released, handed_off]
    )


def _hold(approved: OrderApproved, package: HandOffPackage, *, prior: PriorHandOff, now: datetime) -> HandOffDecision:
    findings = package.mapping.findings()
    as_json = [finding.model_dump(mode="json", by_alias=True) for finding in findings]
    held_so_already = prior.version == approved.order_version and prior.held_for == as_json
    hold = package.stored(approved) | {
        "findings": as_json,
        "approved": approved.model_dump(mode="json", by_alias=True),
        "held_at": now,
    }
    return HandOffDecision(
        approved.order_id,
        hold=hold,
        waits_on=[missing.key for missing in package.mapping.missing],
        events=[] if held_so_already else [_fallout(approved, FalloutKind.HELD, findings)],
    )


def _released(approved: OrderApproved) -> OrderFallout:
    added = Finding(reason_code="MISSING_BILLING_CODE", message="the missing billing codes were added")
    return _fallout(approved, FalloutKind.RELEASED, [added])


def _handed_off(approved: OrderApproved, package: HandOffPackage, *, replaces_version: int | None) -> OrderHandedOff:
    return OrderHandedOff(
        order_id=approved.order_id,
        order_version=approved.order_version,
        order=approved.order,
        sites=approved.sites,
        pricing=approved.pricing,
        approvals=approved.approvals,
        processing_path=package.path,
        billing_lines=package.mapping.lines,
        engineering_notes=package.notes,
        billing_date=package.on,
        replaces_version=replaces_version,
    )


def _fallout(approved: OrderApproved, kind: FalloutKind, findings: list[Finding]) -> OrderFallout:
    return OrderFallout(
        order_id=approved.order_id,
        order_version=approved.order_version,
        stage=Stage.APPROVED,
        kind=kind,
        findings=findings,
    )


@dataclass(frozen=True)
class CancelDecision:
    """What a cancel does to the order's row: its hold dropped (`drops_hold`), else its `state` set; and the work
    Operations has not finished asked to stop (`stop`), once."""

    drops_hold: bool = False
    state: str | None = None
    stop: HandOffCancelled | None = None


def decide_cancel(state: str, handed_off: HandedOff | None, *, order_id: str, reason: str) -> CancelDecision:
    """A held order's hold is dropped, a superseded one cancelled; an installed order has nothing left to stop."""
    stop = None
    if handed_off is not None and handed_off.work_to_stop:
        stop = HandOffCancelled(order_id=order_id, order_version=handed_off.version, reason=reason)
    return CancelDecision(drops_hold=state == HELD, state=CANCELLED if state in (HELD, SUPERSEDED) else None, stop=stop)


def waiting_for(
    state: str, handed_off: HandedOff | None, *, missing_codes: Sequence[CodeKey], standing: Standing | None
) -> WaitingFor | None:
    """What the order waits for next, and from whom. Held: the billing codes it misses, from the catalogue team, or
    (missing none: an item's site is in no market) a corrected order from the sales desk; superseded: its
    correction, from the earlier stages; handed off: Operations' next step, until their work on it ended."""
    if state == HELD and missing_codes:
        codes = ", ".join(key.describe() for key in missing_codes)
        return WaitingFor("catalogue team", f"billing codes for {codes}")
    if state == HELD:
        return WaitingFor("sales desk", "a corrected order: an item's service address is missing or in no market")
    if state == SUPERSEDED:
        # A superseded order always has a standing: the correction that superseded it.
        correction = standing.live_version
        return WaitingFor("earlier stages", f"the correction, version {correction}, to be approved and handed off")
    return waiting_for_operations(handed_off) if handed_off else None

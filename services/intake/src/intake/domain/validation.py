"""Validation of a submitted order: normalize its addresses, apply the entry matrix and accuracy checks."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from intake.domain.accuracy import accuracy_findings
from intake.domain.installed_base import InstalledProduct, complete_from_installed_base, with_seed
from intake.domain.matrix import EntryMatrix, entry_findings
from intake.domain.service_requests import ServiceRequestKinds
from intake.reference import ReferenceData
from orderdesk_shared.addresses import UnreadableAddress, normalize_address, remembered_per_building
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import Address, ItemAction, OrderState, OrderType, ProductOrder
from orderdesk_shared.markets import Markets

INCOMPLETE = "INCOMPLETE_DATA"

# A normalized address is remembered per building (Address is frozen, so it can be a key): an entry (both addresses)
# is about 1.4 KiB, so the 4,096 buildings ordered for most lately hold under 6 MiB of intake's 150 MiB.
_normalize_address = remembered_per_building(normalize_address, maxsize=4096)


@dataclass(frozen=True)
class IntakeRules:
    """Everything validation decides by: the entry matrix and the reference data."""

    matrix: EntryMatrix
    reference: ReferenceData
    # Which billing system bills each site: the client's billing accounts are opened in them.
    markets: Markets
    # The service requests the desk opens for other departments, and when each kind is due.
    service_requests: ServiceRequestKinds


@dataclass(frozen=True)
class Validation:
    order: ProductOrder
    findings: list[Finding]

    @property
    def state(self) -> OrderState:
        """In progress when clean; pending when only information is missing; else rejected."""
        if not self.findings:
            return OrderState.IN_PROGRESS
        if all(finding.reason_code == INCOMPLETE for finding in self.findings):
            return OrderState.PENDING
        return OrderState.REJECTED


def validate(
    order: ProductOrder, rules: IntakeRules, *, today: date, installed: Sequence[InstalledProduct] = ()
) -> Validation:
    """The order completed from the account's installed base, its move linked and addresses normalized, and every
    finding that stops it. `installed`: the account's products on record (the seed's are added here)."""
    products = with_seed(order.account.id, installed, rules.reference.installed_products)
    order, product_findings = complete_from_installed_base(order, products)
    order, link_findings = _link_move(order)
    order, address_findings = _normalize_addresses(order)
    findings = [
        *entry_findings(order, rules.matrix),
        *product_findings,
        *link_findings,
        *address_findings,
        *accuracy_findings(order, rules.reference, today=today),
    ]
    return Validation(order=order, findings=findings)


def _direction(action: ItemAction) -> str:
    return "to" if action is ItemAction.DELETE else "from"


def _link_move(order: ProductOrder) -> tuple[ProductOrder, list[Finding]]:
    """A move's removal and installation name each other; a move of one product pairs its two items by itself."""
    if order.order_type is not OrderType.MOVE:
        return order, []
    removals = [item for item in order.items if item.action is ItemAction.DELETE]
    installations = [item for item in order.items if item.action is ItemAction.ADD]
    if len(removals) == 1 and len(installations) == 1 and not any(item.linked_item_id for item in order.items):
        removal, installation = removals[0], installations[0]
        links = {removal.id: installation.id, installation.id: removal.id}
        items = [item.model_copy(update={"linked_item_id": links.get(item.id)}) for item in order.items]
        return order.model_copy(update={"items": items}), []
    if not removals or not installations:
        return order, []  # the entry matrix says which half of the move is missing
    ids = {item.id for item in order.items}
    linked = {item.linked_item_id for item in order.items if item.linked_item_id in ids}
    return order, [
        Finding(
            reason_code=INCOMPLETE,
            field_path=f"items[{index}].linkedItemId",
            message=f"item {item.id} of the move is not paired with the item it moves {_direction(item.action)}",
            fix="Relate each removal to its installation (productOrderItemRelationship) on a move of several products.",
        )
        for index, item in enumerate(order.items)
        if item.action in (ItemAction.DELETE, ItemAction.ADD)
        and item.linked_item_id not in ids
        and item.id not in linked
    ]


def _normalize_addresses(order: ProductOrder) -> tuple[ProductOrder, list[Finding]]:
    findings: list[Finding] = []

    def normalized(address: Address | None, path: str) -> Address | None:
        if address is None:
            return None
        try:
            return _normalize_address(address)
        except UnreadableAddress as error:
            findings.append(
                Finding(
                    reason_code="INVALID_ADDRESS",
                    field_path=path,
                    message=f"the address cannot be read: {error}",
                    fix="Give the street with its number, the city, the state and the ZIP code.",
                )
            )
            return address

    account = order.account.model_copy(
        update={"billing_address": normalized(order.account.billing_address, "account.billingAddress")}
    )
    items = [
        item.model_copy(
            update={
                "location": item.location.model_copy(
                    update={"address": normalized(item.location.address, f"items[{index}].location.address")}
                )
            }
        )
        if item.location
        else item
        for index, item in enumerate(order.items)
    ]
    return order.model_copy(update={"account": account, "items": items}), findings

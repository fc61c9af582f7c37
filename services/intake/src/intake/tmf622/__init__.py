"""The TMF622 ProductOrder resource: request/response shapes and their mapping to the canonical order.

The public shape is TMF622 v4.0.0 as published (docs/standards). A request is first checked against the
specification's own ProductOrder_Create (`spec_errors`): what it defines must have its type. OrderDesk takes a
party named only by its role (a new client has no id yet), a channel named only by its name, an agreement named
only by its term, a price alteration (a promotion) named without a price, and a plain date as
`requestedCompletionDate`; each reads back as the spec requires it.
Everything else the client sends (description, note, priority, billingAccount, payment, an item's appointment or
qualification, `@type`/`@baseType`/`@schemaLocation`, extensions) is kept as sent and read back.

What OrderDesk needs beyond the specification is derived or becomes a finding on the stored order (pending or
rejected, with field paths and fixes), never a refusal:

- the order type (OrderDesk's extension `orderType`, optional): derived from the items' actions and the parties
  when absent (domain/order_type.py); a value OrderDesk does not know is an INVALID_VALUE finding;
- the channel: a `channel` named crm, email, ivr or api is that channel, any other name is the API channel
  (the name stays on the order as sent);
- the customer: the related party of role `customer` (or `account`), or without a role and of `@referredType`
  `Customer`; an order without one stops with the entry matrix's finding (account.id, or account.legalName for a
  new client), as does every other missing field the order type needs.
- an item term that is not whole months, or a price in another currency than USD: an INVALID_VALUE finding.

OrderDesk extensions, allowed by TMF's polymorphism, are `orderType` on the order, and `splitPercent`, `email`,
`phone`, `billingAddress` and `taxId` on a related party. Where the spec has a place for a fact, it is taken from
there:

- a promotion code: an item price's `priceAlteration` of `priceType` "promotion" (its `name`, or its
  `productOfferingPrice.id`), or a product characteristic `promotionCode`;
- the customer's contribution in aid of construction: an `orderTotalPrice` named (or of `priceType`) "CIAC";
- a transfer's new owner: the related party of role `newOwner`;
- a move's two items: `productOrderItemRelationship` between the removal and the installation.

The package: `request` (the models and the check against the published definition), `canonical` (a request as the
canonical order), `resource` (the resources answered).
"""

from intake.tmf622.canonical import request_findings, to_canonical
from intake.tmf622.request import ProductOrderCreate, spec_errors
from intake.tmf622.resource import API_ROOT, cancel_resource, to_resource

__all__ = [
    "API_ROOT",
    "ProductOrderCreate",
    "cancel_resource",
    "request_findings",
    "spec_errors",
    "to_canonical",
    "to_resource",
]

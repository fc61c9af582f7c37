"""A CRM opportunity as a TMF622 order request."""

from orderdesk_shared.events.channels import CrmAccount, CrmAddress, CrmLineItem, CrmOpportunitySubmitted


def submitter(opportunity: CrmOpportunitySubmitted) -> str | None:
    """Who the order is from: the rep with the largest split (the opportunity's owner), if it names any."""
    owner = max(opportunity.splits, key=lambda split: split.percent, default=None)
    return owner.rep_id if owner else None


def to_order_request(opportunity: CrmOpportunitySubmitted) -> dict:
    """The ProductOrder_Create the opportunity stands for (validated by intake like any other)."""
    request = {
        "externalId": opportunity.opportunity_id,
        "orderType": opportunity.order_type,
        "channel": [{"name": "crm"}],
        "requestedCompletionDate": _iso(opportunity.requested_completion_date),
        "relatedParty": [
            _party(opportunity.account, "customer"),
            *([_party(opportunity.transfer_to, "newOwner")] if opportunity.transfer_to else []),
            *(
                _without_none({"role": "contact", **contact.model_dump(exclude={"role"})})
                for contact in opportunity.contacts
            ),
            *(
                {"role": "salesRep", "id": split.rep_id, "splitPercent": str(split.percent)}
                for split in opportunity.splits
            ),
        ],
        "agreement": [
            _without_none(
                {
                    "id": opportunity.contract_id,
                    "termMonths": opportunity.term_months,
                    "signedDate": _iso(opportunity.signed_date),
                    "nonStandardTerms": opportunity.non_standard_terms,
                }
            )
        ],
        "productOrderItem": [_item(line) for line in opportunity.line_items],
    }
    if opportunity.ciac:
        request["orderTotalPrice"] = [{"name": "CIAC", "priceType": "ciac", "price": _money(opportunity.ciac)}]
    return request


def _party(account: CrmAccount, role: str) -> dict:
    party = {"role": role, "id": account.account_number, "name": account.name, "taxId": account.tax_id}
    if account.billing_address:
        party["billingAddress"] = _place(account.billing_address)
    return _without_none(party)


def _item(line: CrmLineItem) -> dict:
    product: dict = {
        "productCharacteristic": [{"name": name, "value": value} for name, value in line.characteristics.items()]
    }
    if line.existing_product_id:
        product["id"] = line.existing_product_id
    if line.site:
        place = _place(line.site.address) if line.site.address else {}
        product["place"] = [_without_none({"id": line.site.location_id, "role": "serviceLocation", **place})]
    prices = []
    alterations = (
        [{"priceType": "discount", "price": {"percentage": str(line.discount_percent)}}]
        if line.discount_percent
        else []
    )
    if line.promotion_code:
        alterations.append({"priceType": "promotion", "name": line.promotion_code, "price": {}})
    if line.monthly_price is not None or alterations:
        monthly = {"price": _money(line.monthly_price)} if line.monthly_price is not None else {"price": {}}
        prices.append({"priceType": "recurring", **monthly, "priceAlteration": alterations})
    if line.one_time_price is not None:
        prices.append({"priceType": "nonRecurring", "price": _money(line.one_time_price)})
    item = {
        "id": line.line_id,
        "action": line.action,
        "quantity": line.quantity,
        "productOffering": {"id": line.product_code},
        "product": product,
        "itemPrice": prices,
    }
    if line.term_months:
        item["itemTerm"] = [{"duration": {"amount": line.term_months, "units": "month"}}]
    if line.moves_with_line_id:
        item["productOrderItemRelationship"] = [{"id": line.moves_with_line_id, "relationshipType": "movedWith"}]
    return item


def _place(address: CrmAddress) -> dict:
    number, _, street = address.street.partition(" ")
    return {
        "streetNr": number if street else None,
        "streetName": street or number,
        "city": address.city,
        "stateOrProvince": address.state,
        "postcode": address.postal_code,
        "country": address.country,
    }


def _money(amount) -> dict:
    return {"dutyFreeAmount": {"unit": "USD", "value": str(amount)}}


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _without_none(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}

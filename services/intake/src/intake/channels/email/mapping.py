"""What was read as a TMF622 ProductOrder_Create request: the header fields as the order's parties, agreement and
dates, each item as written as an order item. A value that cannot be read is a finding where it was written and is
left out of the request, so the request stays well-formed."""

import re
from datetime import date
from decimal import Decimal

from intake.channels.email.reading import RawItem, Reading, Value, clean, quoted
from orderdesk_shared.events.order import ItemAction, OrderType

_ORDER_TYPES = {value.value: value.value for value in OrderType} | {"new logo": "new", "new customer": "new"}
_ACTIONS = {"".join(action.value.casefold().split()): action.value for action in ItemAction} | {
    "no change": ItemAction.NO_CHANGE.value
}
_REP = re.compile(r"^(?P<rep>.+?)(?:\s+[-–:]?\s*\(?(?P<percent>\d{1,3}(?:\.\d+)?)\s*%?\s*\)?)?$")
_REP_ID = re.compile(r"^rep-\d+$", re.IGNORECASE)
_EMAIL = re.compile(r"[^\s<>()\[\]:;,\"']+@[^\s<>()\[\]:;,\"']+")
_AMOUNT = re.compile(r"^\d+(?:\.\d+)?$")
_WHOLE = re.compile(r"^(\d{1,4})(?:\.0+)?$")
_TERM = re.compile(r"^(\d{1,4})(?:\.0+)?(?:\s*(?:months?|mos?\.?))?$", re.IGNORECASE)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$")


def order_request(message_id: str, reading: Reading) -> dict:
    """The request the email stands for (externalId = its message id); what cannot be read adds to the findings."""
    request: dict = {"externalId": message_id, "channel": [{"name": "email"}]}
    fields = reading.fields
    order_type = fields.get("Order Type")
    if order_type is None:
        reading.add("orderType", "the email does not say the order type", _order_type_fix())
    elif (known := _ORDER_TYPES.get(" ".join(order_type.text.casefold().split()))) is None:
        reading.add("orderType", f"{quoted(order_type.text)} is not an order type", _order_type_fix())
    else:
        request["orderType"] = known
    if requested := _date_of(fields.get("Requested Date"), reading):
        request["requestedCompletionDate"] = requested
    request["relatedParty"] = [_customer(reading), *_contact(fields), *_reps(reading)]
    if agreement := _agreement(reading):
        request["agreement"] = [agreement]
    if (ciac := _amount_of(fields.get("CIAC"), "customer contribution (CIAC)", reading)) is not None:
        request["orderTotalPrice"] = [{"name": "CIAC", "priceType": "ciac", "price": _money(ciac)}]
    raw_items = [reading.body_items[number] for number in sorted(reading.body_items)] + reading.sheet_items
    items = [_item(str(index), raw, reading) for index, raw in enumerate(raw_items, start=1)]
    if items:
        request["productOrderItem"] = items
    else:
        reading.add(
            "productOrderItem",
            "no order item could be read from the email",
            "List each item as 'Item 1 Offering: DIA-FIBER' lines (with its address, MRC and term), or attach the "
            "order form as a CSV or XLSX file with one row per item.",
        )
    return clean(request)


def _order_type_fix() -> str:
    return "Add a line 'Order Type: new' (or add, change, renewal, move, transfer, disconnect) to the email."


def _customer(reading: Reading) -> dict:
    fields = reading.fields
    customer: dict = {"role": "customer"}
    for name, key in (("Account Number", "id"), ("Customer Name", "name"), ("Tax ID", "taxId")):
        if value := fields.get(name):
            customer[key] = value.text.upper() if key == "id" else value.text
    billing = _place(
        fields.get("Billing Street"),
        fields.get("Billing City"),
        fields.get("Billing State"),
        fields.get("Billing ZIP"),
        "body.Billing ",
        "the client's billing address",
        reading,
    )
    if billing:
        customer["billingAddress"] = billing
    return customer


def _contact(fields: dict[str, Value]) -> list[dict]:
    contact: dict = {"role": "contact"}
    if name := fields.get("Contact Name"):
        contact["name"] = name.text
    if mail := fields.get("Contact Email"):
        address = _EMAIL.search(mail.text)
        contact["email"] = address[0].rstrip(".") if address else mail.text
    if phone := fields.get("Contact Phone"):
        contact["phone"] = re.sub(r"\s*<[^<>]*>", "", phone.text) or phone.text  # drop a mail program's <tel:...>
    return [contact] if len(contact) > 1 else []


def _reps(reading: Reading) -> list[dict]:
    parties = []
    for value in reading.reps:
        match = _REP.match(value.text.strip("()[] "))
        if not match:
            continue
        rep = match["rep"].strip()
        party = {"role": "salesRep", "id": rep.lower() if _REP_ID.match(rep) else rep}
        if match["percent"] and Decimal(match["percent"]) > 100:
            reading.add(
                value.path,
                f"the commission split {match['percent']}% of {party['id']} is more than 100%",
                "Give each rep's split as a percent of the order; the splits add up to 100.",
            )
        elif match["percent"]:
            party["splitPercent"] = match["percent"]
        parties.append(party)
    return parties


def _agreement(reading: Reading) -> dict:
    fields = reading.fields
    agreement: dict = {}
    if contract := fields.get("Contract Id"):
        agreement["id"] = contract.text
    if (term := _term_of(fields.get("Term Months"), reading)) is not None:
        agreement["termMonths"] = term
    if signed := _date_of(fields.get("Signed Date"), reading):
        agreement["signedDate"] = signed
    return agreement


def _item(item_id: str, raw: RawItem, reading: Reading) -> dict:
    offering = raw.first("Offering")
    item: dict = {
        "id": item_id,
        "action": _action(raw.first("Action"), reading),
        "productOffering": {"id": offering.text.upper() if offering else ""},
    }
    if (quantity := raw.first("Quantity")) is not None:
        if match := _WHOLE.match(quantity.text):
            item["quantity"] = int(match[1])
        else:
            reading.add(
                quantity.path,
                f"the quantity {quoted(quantity.text)} is not a whole number",
                "Give the quantity as a whole number, e.g. 1.",
            )
    product: dict = {"productCharacteristic": _characteristics(raw.cells.get("Characteristic", []), reading)}
    if existing := raw.first("Existing Product Id"):
        product["id"] = existing.text
    place = _place(
        raw.first("Street"),
        raw.first("City"),
        raw.first("State"),
        raw.first("ZIP"),
        f"{raw.at}.",
        "the item's service address",
        reading,
    )
    if place:
        product["place"] = [{"role": "serviceLocation", **place}]
    item["product"] = product
    item["itemPrice"] = _prices(raw, reading)
    if (term := _term_of(raw.first("Term Months"), reading)) is not None:
        item["itemTerm"] = [{"duration": {"amount": term, "units": "month"}}]
    return item


def _action(value: Value | None, reading: Reading) -> str:
    if value is None:
        return ItemAction.ADD.value
    action = _ACTIONS.get(" ".join(value.text.casefold().split())) or _ACTIONS.get(
        "".join(value.text.casefold().split())
    )
    if action is None:
        reading.add(
            value.path,
            f"{quoted(value.text)} is not an item action, so the item was taken as add",
            "Give the action as add, modify, delete or noChange.",
        )
        return ItemAction.ADD.value
    return action


def _characteristics(values: list[Value], reading: Reading) -> list[dict]:
    characteristics: dict[str, str | int] = {}
    for value in values:
        for pair in re.split(r"\s*;\s*", value.text):
            if not pair:
                continue
            match = re.match(r"^([^=:]+?)\s*[=:]\s*(.+)$", pair)
            if not match:
                reading.add(
                    value.path,
                    f"the characteristic {quoted(pair)} is not written as name=value",
                    "Write each characteristic as name=value, e.g. bandwidth_mbps=500; separate several with ';'.",
                )
                continue
            name, setting = "_".join(match[1].casefold().split()), match[2].strip()
            if not setting.isdecimal():
                characteristics.setdefault(name, setting)
                continue
            try:
                characteristics.setdefault(name, int(setting))
            except ValueError:  # more digits than Python turns into a number (sys.get_int_max_str_digits)
                reading.add(
                    value.path,
                    f"the characteristic {quoted(pair)} has a number too long to be read",
                    "Give the characteristic's value as the catalogue does, e.g. bandwidth_mbps=500.",
                )
    return [{"name": name, "value": setting} for name, setting in characteristics.items()]


def _place(street, city, state, postcode, prefix: str, what: str, reading: Reading) -> dict | None:
    """A TMF place from the address values; None (with a finding when some were given) without street and city."""
    given = {"Street": street, "City": city, "State": state, "ZIP": postcode}
    if not any(given.values()):
        return None
    missing = [name for name in ("Street", "City") if given[name] is None]
    if missing:
        reading.add(
            f"{prefix}{missing[0]}",
            f"{what} has no {' or '.join(name.lower() for name in missing)}, so it could not be used",
            "Give the street with its number, the city, the state and the ZIP code.",
        )
        return None
    number, _, rest = street.text.partition(" ")
    place = {"streetNr": number, "streetName": rest} if rest and number[:1].isdigit() else {"streetName": street.text}
    place["city"] = city.text
    if state:
        place["stateOrProvince"] = state.text
    if postcode:
        place["postcode"] = postcode.text.zfill(5) if postcode.text.isdecimal() else postcode.text
    return place


def _prices(raw: RawItem, reading: Reading) -> list[dict]:
    prices = []
    mrc = _amount_of(raw.first("MRC"), "monthly recurring charge (MRC)", reading)
    discount = _amount_of(raw.first("Discount %"), "discount percent", reading)
    promotion = raw.first("Promotion Code")
    if mrc is not None or discount is not None or promotion is not None:
        recurring: dict = {"priceType": "recurring", "price": _money(mrc) if mrc is not None else {}}
        recurring["priceAlteration"] = (
            [{"priceType": "discount", "price": {"percentage": discount}}] if discount is not None else []
        )
        if promotion is not None:
            recurring["priceAlteration"].append({"priceType": "promotion", "name": promotion.text.upper(), "price": {}})
        prices.append(recurring)
    if (nrc := _amount_of(raw.first("NRC"), "one-time charge (NRC)", reading)) is not None:
        prices.append({"priceType": "nonRecurring", "price": _money(nrc)})
    return prices


def _money(amount: str) -> dict:
    return {"dutyFreeAmount": {"unit": "USD", "value": amount}}


def _amount_of(value: Value | None, what: str, reading: Reading) -> str | None:
    if value is None:
        return None
    text = re.sub(r"(?i)usd|[$,%\s]", "", value.text)
    if _AMOUNT.match(text):
        return text
    reading.add(
        value.path,
        f"the {what} {quoted(value.text)} is not a number",
        f"Give the {what} as a plain number, e.g. 1350.00.",
    )
    return None


def _term_of(value: Value | None, reading: Reading) -> int | None:
    if value is None:
        return None
    match = _TERM.match(value.text)
    if match and int(match[1]) >= 1:
        return int(match[1])
    reading.add(
        value.path,
        f"the term {quoted(value.text)} is not a number of months",
        "Give the term in months as a number: 12, 24, 36 or 60.",
    )
    return None


def _date_of(value: Value | None, reading: Reading) -> str | None:
    if value is None:
        return None
    text = value.text.strip()
    if (day := _day(text)) is None:
        reading.add(
            value.path, f"the date {quoted(text)} could not be read", "Give the date as 2027-01-29 or 1/29/2027."
        )
    return day


def _day(text: str) -> str | None:
    """The ISO day a US (1/29/2027) or ISO date stands for; None when it is neither or not on the calendar."""
    try:
        if us := _US_DATE.match(text):
            return date(int(us[3]), int(us[1]), int(us[2])).isoformat()
        if iso := _ISO_DATE.match(text):
            return date.fromisoformat(iso[1]).isoformat()
    except ValueError:  # a day the calendar does not have: 2/30/2027, 2027-13-01
        return None
    return None

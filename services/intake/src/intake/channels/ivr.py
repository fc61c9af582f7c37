"""An IVR call as a TMF622 order request: an existing account asking to add, move or disconnect."""

from orderdesk_shared.events.channels import IvrCallReceived
from orderdesk_shared.events.order import OrderType


def submitter(call: IvrCallReceived) -> str:
    """Who the order is from: the caller, by the number the IVR saw (a tel: URI, never a staff member's id)."""
    return f"tel:{call.caller_number}"


def to_order_request(call: IvrCallReceived) -> dict:
    """What the caller asked for; what a call cannot capture (a rep, a new site) the desk adds later."""
    request = {
        "externalId": call.call_id,
        "orderType": call.order_type,
        "channel": [{"name": "ivr"}],
        "relatedParty": [
            {"role": "customer", "id": call.account_number},
            {"role": "contact", "name": f"IVR caller {call.caller_number}", "phone": call.caller_number},
        ],
        "productOrderItem": _items(call),
    }
    if call.requested_date:
        request["requestedCompletionDate"] = call.requested_date.isoformat()
    return request


def _items(call: IvrCallReceived) -> list[dict]:
    existing = {"id": call.existing_product_id} if call.existing_product_id else {}
    offering = {"id": call.product_code or ""}
    if call.order_type is OrderType.DISCONNECT:
        return [{"id": "1", "action": "delete", "productOffering": offering, "product": existing}]
    if call.order_type is OrderType.MOVE:
        return [
            {"id": "1", "action": "delete", "productOffering": offering, "product": existing},
            {"id": "2", "action": "add", "productOffering": offering},
        ]
    added = {"id": "1", "action": "add", "productOffering": offering}
    if call.promotion_code:
        added["itemPrice"] = [
            {
                "priceType": "recurring",
                "price": {},
                "priceAlteration": [{"priceType": "promotion", "name": call.promotion_code, "price": {}}],
            }
        ]
    return [added]

"""Which TMF622 events intake notifies listeners of, for whom, from the changes it makes to an order."""

import copy
from datetime import UTC, datetime

from intake import notifications
from intake.repository import CancelRequest, StoredOrder
from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import OrderStatus

from .test_tmf622 import REQUEST

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
FINDING = {"reasonCode": "INVALID_VALUE", "fieldPath": "salesReps", "message": "the splits add up to 90%"}


def _order(request: dict = REQUEST):
    return to_canonical(ProductOrderCreate.model_validate(request), order_id="PO-1", submitted_by="Rep-9")


def _status(state: OrderState, *, version: int = 1, findings=()) -> OrderStatus:
    return OrderStatus(version=version, stage=Stage.VALIDATED, state=state, item_ids=("1",), findings=tuple(findings))


def _stored(state: OrderState, findings=()) -> StoredOrder:
    return StoredOrder(_order(), _status(state, findings=findings), NOW, REQUEST, completed_on=None)


def _seen(notes) -> list[tuple[str, str]]:
    return [(note.event_type, note.envelope()["event"][note.resource_name]["state"]) for note in notes]


def test_a_rejected_order_is_created_and_asks_for_the_fields_its_findings_name():
    created = notifications.created(_order(), _status(OrderState.REJECTED, findings=[FINDING]), received_at=NOW)
    assert _seen(created) == [
        ("ProductOrderCreateEvent", "rejected"),
        ("ProductOrderInformationRequiredEvent", "rejected"),
    ]
    assert created[1].field_path == "salesReps"
    assert created[0].envelope()["event"]["productOrder"]["orderDate"] == NOW.isoformat()
    # Each event has an id of its own.
    assert created[0].event_id != created[1].event_id


def test_a_valid_order_is_only_created():
    assert _seen(notifications.created(_order(), _status(OrderState.IN_PROGRESS), received_at=NOW)) == [
        ("ProductOrderCreateEvent", "inProgress")
    ]


def test_a_correction_names_the_attributes_it_changed_and_the_state_it_leaves_the_order_in():
    changed = copy.deepcopy(REQUEST) | {"externalId": "OPP-0043"}
    after = _status(OrderState.IN_PROGRESS, version=2)
    notes = notifications.corrected(_stored(OrderState.REJECTED, [FINDING]), _order(changed), after)
    assert _seen(notes) == [
        ("ProductOrderAttributeValueChangeEvent", "inProgress"),
        ("ProductOrderStateChangeEvent", "inProgress"),
    ]
    assert notes[0].field_path == "externalId"


def test_a_correction_still_stopped_asks_again_and_one_changing_nothing_says_nothing():
    still = _status(OrderState.PENDING, version=2, findings=[FINDING])
    assert _seen(notifications.corrected(_stored(OrderState.REJECTED, [FINDING]), _order(), still)) == [
        ("ProductOrderStateChangeEvent", "pending"),
        ("ProductOrderInformationRequiredEvent", "pending"),
    ]
    same = _status(OrderState.IN_PROGRESS)
    assert notifications.corrected(_stored(OrderState.IN_PROGRESS), _order(), same) == []


def test_a_cancel_creates_the_request_and_changes_the_orders_state():
    stored = _stored(OrderState.IN_PROGRESS)
    request = CancelRequest("CPO-1", "PO-1", 1, "no budget", "rep-9", NOW, None, "done", NOW, "cancelled")
    notes = notifications.cancelled(stored, _status(OrderState.CANCELLED), request)
    assert [(note.event_type, note.resource_name) for note in notes] == [
        ("CancelProductOrderCreateEvent", "cancelProductOrder"),
        ("ProductOrderStateChangeEvent", "productOrder"),
    ]
    assert notes[0].envelope()["event"]["cancelProductOrder"]["productOrder"]["id"] == "PO-1"


def test_listeners_hear_of_an_order_for_its_submitter_its_named_reps_and_its_channel():
    assert notifications.audience(_order()) == ("person:rep-1", "person:rep-2", "person:rep-9", "channel:crm")

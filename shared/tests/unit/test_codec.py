from decimal import Decimal

import pytest

from orderdesk_shared.codec import InvalidEnvelope, decode, encode
from orderdesk_shared.events.commission import CommissionAdjusted


def _adjustment() -> CommissionAdjusted:
    return CommissionAdjusted(
        order_id="PO-1", order_version=3, rep_id="rep-7", amount=Decimal("-12.34"), reason="clawback"
    )


def test_an_event_travels_as_a_binary_mode_cloudevent_keyed_by_order():
    record = encode(_adjustment(), source="commission", event_id="evt-1")

    assert record.topic == "commission.adjusted"
    assert record.key == "PO-1"
    assert record.headers["ce_specversion"] == "1.0"
    assert record.headers["ce_id"] == "evt-1"
    assert record.headers["ce_type"] == "com.orderdesk.commission.adjusted.v1"
    assert record.headers["ce_source"] == "commission"
    assert record.headers["ce_subject"] == "PO-1"
    assert record.headers["content-type"] == "application/json"
    assert b'"amount":"-12.34"' in record.value


def test_decoding_gives_back_the_event_exactly():
    record = encode(_adjustment(), source="commission")
    incoming = decode(
        key=record.key.encode(), value=record.value, headers=[(k, v.encode()) for k, v in record.headers.items()]
    )

    assert incoming.type == CommissionAdjusted.event_type
    assert incoming.subject == "PO-1"
    assert CommissionAdjusted.model_validate(incoming.data) == _adjustment()


def test_a_record_without_cloudevents_headers_is_an_invalid_envelope():
    with pytest.raises(InvalidEnvelope, match="source"):
        decode(key=b"PO-1", value=b'{"orderId": "PO-1"}', headers=[("ce_id", b"1"), ("ce_type", b"x")])


def test_readers_ignore_fields_they_do_not_know():
    data = _adjustment().model_dump(mode="json", by_alias=True) | {"addedLater": True}
    assert CommissionAdjusted.model_validate(data) == _adjustment()

"""The pure parts of TMF hub notifications: query filters, signatures, the retry schedule, callback addresses."""

import hashlib
import hmac

import pytest

from orderdesk_shared.notifications import (
    InvalidSubscription,
    Notification,
    RetrySchedule,
    address_refusal,
    callback_parts,
    field_paths,
    matches,
    parse_query,
    signature,
    signature_holds,
)

EVENT_TYPES = ("ProductOrderCreateEvent", "ProductOrderStateChangeEvent")


def _envelope(event_type: str = "ProductOrderStateChangeEvent", **order) -> dict:
    resource = {"id": "PO-1", "state": "completed", "productOrderItem": [{"id": "1", "state": "completed"}]} | order
    return Notification(event_type=event_type, resource_name="productOrder", resource=resource, audience=()).envelope()


def test_a_query_names_event_types_and_attribute_values():
    conditions = parse_query(
        "eventType=ProductOrderCreateEvent,ProductOrderStateChangeEvent&event.productOrder.state=completed",
        event_types=EVENT_TYPES,
    )
    assert conditions == {
        "eventType": ["ProductOrderCreateEvent", "ProductOrderStateChangeEvent"],
        "event.productOrder.state": ["completed"],
    }
    assert parse_query(None, event_types=EVENT_TYPES) == parse_query("", event_types=EVENT_TYPES) == {}
    assert parse_query("?state=a&state=b,a", event_types=EVENT_TYPES) == {"state": ["a", "b"]}


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("eventType=ProductOrderDeleteEvent", "no event type ProductOrderDeleteEvent"),
        ("event..state=completed", "not a dotted attribute path"),
        ("event.productOrder.state=", "names no value"),
        ("justtext", "not name=value pairs"),
        ("a=" + "x" * 1000, "longer than"),
    ],
)
def test_a_query_the_hub_cannot_apply_is_refused_with_the_reason(query, reason):
    with pytest.raises(InvalidSubscription, match=reason) as refused:
        parse_query(query, event_types=EVENT_TYPES)
    assert refused.value.field == "query"


def test_a_filter_takes_a_notification_when_every_path_holds_one_of_its_values():
    wanted = parse_query(
        "eventType=ProductOrderStateChangeEvent&event.productOrder.state=completed,partial", event_types=EVENT_TYPES
    )
    assert matches(wanted, _envelope())
    assert matches(wanted, _envelope(state="partial"))
    assert not matches(wanted, _envelope(state="inProgress"))
    assert not matches(wanted, _envelope("ProductOrderCreateEvent"))
    assert matches({}, _envelope())


def test_a_filter_reads_list_entries_by_index_and_json_scalars_as_the_query_writes_them():
    assert matches({"event.productOrder.productOrderItem.0.state": ["completed"]}, _envelope())
    assert not matches({"event.productOrder.productOrderItem.1.state": ["completed"]}, _envelope())
    assert matches({"event.productOrder.rush": ["true"]}, _envelope(rush=True))
    # A path to an object or to nothing holds no value the query can name.
    assert not matches({"event.productOrder": ["PO-1"]}, _envelope())
    assert not matches({"event.productOrder.missing": ["None"]}, _envelope())


def test_the_envelope_is_the_tmf_event_with_its_stable_id_and_the_fields_it_is_about():
    note = Notification(
        event_type="ProductOrderInformationRequiredEvent",
        resource_name="productOrder",
        resource={"id": "PO-1"},
        audience=("channel:crm",),
        field_path=field_paths([{"fieldPath": "salesReps"}, {"reasonCode": "X"}, {"fieldPath": "salesReps"}]),
    )
    envelope = note.envelope()
    assert envelope == {
        "eventId": note.event_id,
        "eventTime": note.event_time.isoformat(),
        "eventType": "ProductOrderInformationRequiredEvent",
        "event": {"productOrder": {"id": "PO-1"}},
        "fieldPath": "salesReps",
    }
    assert note.envelope()["eventId"] == envelope["eventId"]
    assert "fieldPath" not in _envelope()


def test_the_signature_is_the_hex_hmac_sha256_of_the_body_and_verifies_only_for_that_body_and_secret():
    body = b'{"eventId":"1"}'
    expected = "sha256=" + hmac.new(b"s3cret-s3cret-s3cret", body, hashlib.sha256).hexdigest()
    assert signature("s3cret-s3cret-s3cret", body) == expected
    assert signature_holds("s3cret-s3cret-s3cret", body, expected)
    assert not signature_holds("s3cret-s3cret-s3cret", body + b" ", expected)
    assert not signature_holds("another-secret-here", body, expected)
    assert not signature_holds("s3cret-s3cret-s3cret", body, None)


def test_retries_wait_twice_as_long_each_time_up_to_the_longest_and_give_up_after_the_window():
    schedule = RetrySchedule(first=1.0, longest=60.0, window=3600.0)
    assert [schedule.delay(failures) for failures in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert not schedule.gives_up(age_seconds=3599)
    assert schedule.gives_up(age_seconds=3600)
    # A listener away for a minute is tried again within a minute of its return, long before the window closes.
    waited = 0.0
    failures = 0
    while waited < 60:
        failures += 1
        waited += schedule.delay(failures)
    assert schedule.delay(failures + 1) <= 60 and not schedule.gives_up(age_seconds=waited)


@pytest.mark.parametrize(
    ("callback", "host", "port"),
    [
        ("https://crm.example.com/listener", "crm.example.com", 443),
        ("http://CRM.example.com.:8080/x?y=1", "crm.example.com", 8080),
        ("http://127.0.0.1:9000/", "127.0.0.1", 9000),
    ],
)
def test_an_http_callback_names_its_host_and_port(callback, host, port):
    assert callback_parts(callback) == (host, port)


@pytest.mark.parametrize(
    "callback", ["ftp://crm.example.com/", "file:///etc/passwd", "https:///nohost", "https://user:pw@crm.example.com/"]
)
def test_a_callback_that_is_not_a_plain_http_url_is_refused(callback):
    with pytest.raises(InvalidSubscription) as refused:
        callback_parts(callback)
    assert refused.value.field == "callback"


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1", "::ffff:169.254.169.254"])
def test_link_local_metadata_and_unroutable_addresses_are_refused_everywhere(address):
    assert address_refusal(address, private_allowed=True)


def test_loopback_and_private_addresses_are_allowed_only_where_private_callbacks_are():
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.9", "::1"):
        assert address_refusal(address, private_allowed=False)
        assert address_refusal(address, private_allowed=True) is None
    assert address_refusal("93.184.216.34", private_allowed=False) is None

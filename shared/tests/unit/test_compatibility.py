from datetime import date
from decimal import Decimal
from typing import ClassVar

from orderdesk_shared.events.base import Event
from orderdesk_shared.events.compatibility import breaking_changes, event_schema


class Shipped(Event):
    event_type: ClassVar[str] = "test.shipped.v1"
    topic: ClassVar[str] = "test"
    carrier: str
    amount: Decimal
    note: str | None = None


class ShippedWithOptionalField(Shipped):
    shipped_on: date | None = None


class ShippedWithRequiredField(Shipped):
    tracking_number: str


class ShippedWithoutNote(Event):
    event_type: ClassVar[str] = "test.shipped.v1"
    topic: ClassVar[str] = "test"
    carrier: str
    amount: Decimal


class ShippedWithNumericCarrier(Shipped):
    carrier: int


def test_an_optional_field_is_an_additive_change():
    assert breaking_changes(event_schema(Shipped), event_schema(ShippedWithOptionalField)) == []


def test_a_removed_field_is_breaking():
    assert breaking_changes(event_schema(Shipped), event_schema(ShippedWithoutNote)) == ["$.note: field removed"]


def test_a_new_required_field_is_breaking():
    assert breaking_changes(event_schema(Shipped), event_schema(ShippedWithRequiredField)) == [
        "$.trackingNumber: field became required"
    ]


def test_a_changed_type_is_breaking():
    problems = breaking_changes(event_schema(Shipped), event_schema(ShippedWithNumericCarrier))
    assert problems == ["$.carrier: type ['string'] became ['integer']"]

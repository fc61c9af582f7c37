"""How the invariant checker judges where an order rests, and that it has a rule for every event type."""

import pytest

from orderdesk_shared.events.catalogue import replay_topic
from orderdesk_shared.events.pricing_approval import OrderApproved
from orderdesk_stack.catalogue import subscriptions_of, topics_read_by
from orderdesk_stack.invariants import (
    Elsewhere,
    InvariantReport,
    OrderAccount,
    OrderAtIntake,
    account_for,
    unclassified_event_types,
)
from orderdesk_stack.invariants.topic_records import TopicTally
from orderdesk_stack.services import SERVICES


def order(state: str, stage: str = "validated", *, version: int = 1, findings: tuple[str, ...] = ()) -> OrderAtIntake:
    return OrderAtIntake("PO-1", state, stage, version, list(findings))


def test_every_event_type_is_either_once_only_or_allowed_to_repeat():
    assert unclassified_event_types() == []


@pytest.mark.parametrize("state", ["completed", "partial", "cancelled"])
def test_a_final_state_ends_the_order(state):
    assert account_for(order(state), elsewhere=[], dead_letters=[]).ending == "ended"


def test_a_rejection_ends_the_order_only_with_its_reason():
    rejected = order("rejected", findings=("SPLITS_NOT_100: the splits add to 90",))
    assert account_for(rejected, elsewhere=[], dead_letters=[]) == OrderAccount(
        "PO-1", "ended", "rejected", "SPLITS_NOT_100: the splits add to 90"
    )
    assert account_for(order("rejected"), elsewhere=[], dead_letters=[]).ending == "unaccounted"


def test_an_order_waits_for_people_with_a_reason_from_any_service_about_its_version():
    held = order("held", "qualified", version=2)
    survey = Elsewhere(2, "site survey SS-1 open for 1 Main St")
    assert account_for(held, elsewhere=[survey], dead_letters=[]).reason == "site survey SS-1 open for 1 Main St"
    stale = Elsewhere(1, "site survey SS-0 open for 1 Main St")
    assert account_for(held, elsewhere=[stale], dead_letters=[]).ending == "unaccounted"


def test_a_handed_off_order_waits_for_operations_only_if_fulfillment_handed_it_off():
    installing = order("inProgress", "ratified")
    handed_off = Elsewhere(1, "handed off to Operations (version 1)", with_operations=True)
    assert account_for(installing, elsewhere=[handed_off], dead_letters=[]).ending == "waiting"
    assert account_for(installing, elsewhere=[], dead_letters=[]).ending == "unaccounted"


def test_an_order_in_flight_before_the_hand_off_is_lost_unless_a_record_of_it_was_dead_lettered():
    in_flight = order("inProgress", "priced")
    assert account_for(in_flight, elsewhere=[], dead_letters=[]).ending == "unaccounted"
    dead = account_for(in_flight, elsewhere=[], dead_letters=["pricing-approval dead-lettered ...: bad data"])
    assert (dead.ending, dead.reason) == ("dead_lettered", "pricing-approval dead-lettered ...: bad data")


def test_the_report_fails_on_any_violation_and_names_it():
    clean = InvariantReport(accounts={}, lost=[], duplicated=[], regressions=[], undrained=[])
    assert clean.ok and clean.problems() == []
    doubled = InvariantReport(
        accounts={},
        lost=[],
        duplicated=["commission published the ratification ... 2 times"],
        regressions=[],
        undrained=[],
    )
    assert not doubled.ok
    assert doubled.duplicated_count == 1
    assert doubled.problems() == ["duplicated: commission published the ratification ... 2 times"]


def _record(event_type: str, event_id: str, **more: str) -> list[tuple[str, bytes]]:
    return [(name, value.encode()) for name, value in {"ce_type": event_type, "ce_id": event_id, **more}.items()]


def test_a_dead_letter_an_sre_replayed_explains_nothing_and_its_replay_is_no_second_effect():
    approved = OrderApproved.event_type
    value = b'{"orderId":"PO-1","orderVersion":1}'
    failed = {"dlt-consumer": "fulfillment-handoff", "dlt-error-class": "HandlerTimeout", "dlt-reason": "timed out"}
    first = {**failed, "dlt-original-partition": "2", "dlt-original-offset": "7"}
    # Its replay failed too, read from the replay topic, and was dead-lettered again: this one is still open.
    again = {**failed, "dlt-original-partition": "0", "dlt-original-offset": "0", "dlt-replay-topic": "x.replay"}
    tally = TopicTally({"PO-1"}, replayed={("fulfillment-handoff", "orders.approved", "", "2", "7")})

    tally.add("orders.approved", b"PO-1", value, _record(approved, "id-1"))
    tally.add("orders.approved.dlt", b"PO-1", value, _record(approved, "id-1", **first))
    tally.add(replay_topic("fulfillment-handoff"), b"PO-1", value, _record(approved, "id-1"))
    assert (tally.duplicated, dict(tally.dead_letters)) == ([], {})

    tally.add("orders.approved.dlt", b"PO-1", value, _record(approved, "id-1", **again))
    assert tally.dead_letters["PO-1"] == [
        f"fulfillment-handoff dead-lettered {approved} from orders.approved: HandlerTimeout: timed out"
    ]


def test_the_drain_waits_for_each_consumers_replay_topic_too():
    for service in SERVICES:
        consumed = {model.topic for model in subscriptions_of(service).HANDLERS}
        assert topics_read_by(service) == consumed | {replay_topic(service.name)}

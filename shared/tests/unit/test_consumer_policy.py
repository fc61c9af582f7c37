"""How the consumer counts a record's attempts and sizes its polls after a slow one."""

from aiokafka import ConsumerRecord, TopicPartition

from orderdesk_shared.consumer import FailedAttempts, PollSize
from orderdesk_shared.consumer.failures import record_key


def _record(topic: str, partition: int, offset: int, key: bytes | None = b"PO-1") -> ConsumerRecord:
    return ConsumerRecord(topic, partition, offset, 0, 0, key, b"{}", None, 0, 2, [])


def test_a_record_is_given_up_after_its_attempts_with_every_attempt_in_the_reason():
    attempts = FailedAttempts(limit=3)
    slow = _record("orders.validated", 2, 41)

    for _ in range(2):
        attempts.timed_out(slow, reason="handler timed out after 10 s")
        assert attempts.exhausted(record_key(slow)) is None
    attempts.timed_out(slow, reason="handler timed out after 10 s")

    failure = attempts.exhausted(record_key(slow))
    assert failure is not None
    assert failure.error_class == "HandlerTimeout"
    assert failure.dead_letter_reason == "handler timed out after 10 s (3 attempts)"


def test_attempts_are_counted_per_record_and_forgotten_with_its_partition():
    attempts = FailedAttempts(limit=2)
    first, neighbour, elsewhere = _record("orders", 0, 7), _record("orders", 0, 8, b"PO-2"), _record("orders", 1, 7)
    for record in (first, first, elsewhere):
        attempts.failed(record_key(record), error_class="KeyError", reason="'site'")

    assert attempts.exhausted(record_key(first)) is not None
    assert not attempts.suspect(neighbour)
    attempts.forget_partitions({TopicPartition("orders", 0)})
    assert not attempts.suspect(first)
    assert attempts.suspect(elsewhere)


def test_once_a_record_of_an_order_ran_out_of_time_its_next_records_are_handled_apart_until_one_is_handled():
    attempts = FailedAttempts(limit=3)
    slow = _record("orders.qualified", 5, 1258, key=b"PO-EB1D7F935314")
    priced, other_order = _record("orders.priced", 5, 1249, key=b"PO-EB1D7F935314"), _record("orders.priced", 5, 1250)

    attempts.timed_out(slow, reason="handler timed out after 10 s")

    assert attempts.suspect(priced) and not attempts.suspect(other_order)
    assert attempts.exhausted(record_key(priced)) is None, "its own attempts are its own"
    attempts.handled(priced)
    assert not attempts.suspect(priced)
    assert attempts.suspect(slow), "the slow record itself still counts its attempts"


def test_a_single_failure_is_its_own_reason():
    attempts = FailedAttempts(limit=1)
    failure = attempts.failed(("orders", 0, 1), error_class="ValueError", reason="no such site")
    assert failure.dead_letter_reason == "no such site"


def test_polls_halve_down_to_one_record_after_slow_ones_and_grow_back_after_good_ones():
    size = PollSize(200)
    seen = []
    for _ in range(9):
        size.after_slow_poll()
        seen.append(size.current)
    assert seen == [100, 50, 25, 12, 6, 3, 1, 1, 1]

    grown = []
    for _ in range(9):
        size.after_good_poll()
        grown.append(size.current)
    assert grown == [2, 4, 8, 16, 32, 64, 128, 200, 200]

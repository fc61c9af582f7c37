"""How the consumer counts a record's attempts and sizes its polls after a slow one."""

from aiokafka import TopicPartition

from orderdesk_shared.consumer import FailedAttempts, PollSize


def test_a_record_is_given_up_after_its_attempts_with_every_attempt_in_the_reason():
    attempts = FailedAttempts(limit=3)
    slow = ("orders.validated", 2, 41)

    for _ in range(2):
        attempts.failed(slow, error_class="HandlerTimeout", reason="handler timed out after 10 s")
        assert attempts.exhausted(slow) is None
    attempts.failed(slow, error_class="HandlerTimeout", reason="handler timed out after 10 s")

    failure = attempts.exhausted(slow)
    assert failure is not None
    assert failure.error_class == "HandlerTimeout"
    assert failure.dead_letter_reason == "handler timed out after 10 s (3 attempts)"


def test_attempts_are_counted_per_record_and_forgotten_with_its_partition():
    attempts = FailedAttempts(limit=2)
    first, neighbour, elsewhere = ("orders", 0, 7), ("orders", 0, 8), ("orders", 1, 7)
    for key in (first, first, elsewhere):
        attempts.failed(key, error_class="KeyError", reason="'site'")

    assert attempts.exhausted(first) is not None
    assert not attempts.suspect(neighbour)
    attempts.forget_partitions({TopicPartition("orders", 0)})
    assert not attempts.suspect(first)
    assert attempts.suspect(elsewhere)


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

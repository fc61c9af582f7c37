"""Failure bookkeeping: a record's failed attempts, counted in memory until it is handled or dead-lettered
(FailedAttempts), the failures no retry can cure, and the reason a dead letter gives."""

from dataclasses import dataclass

from aiokafka import ConsumerRecord, TopicPartition
from pydantic import ValidationError

from orderdesk_shared.errors import PermanentError, describe_error
from orderdesk_shared.field_problems import described, field_problems

RecordKey = tuple[str, int, int]  # topic, partition, offset


def record_key(record: ConsumerRecord) -> RecordKey:
    return record.topic, record.partition, record.offset


@dataclass(frozen=True)
class Failure:
    """Why a record's last attempt failed, and how many attempts failed so far."""

    error_class: str
    reason: str
    attempts: int

    @property
    def dead_letter_reason(self) -> str:
        return self.reason if self.attempts == 1 else f"{self.reason} ({self.attempts} attempts)"


class FailedAttempts:
    """The failed attempts of each record still being retried, in memory: a restart gives a record fresh tries.

    And the message keys (orders) a record of which ran out of time, until a record of theirs is handled: what made
    one record of an order slow (its row locked, a call that hangs for it) makes the order's next records slow too.
    They are handled apart from their first delivery on, rather than each holding up a whole poll first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._failures: dict[RecordKey, Failure] = {}
        self._slow_keys: set[bytes] = set()

    def failed(self, key: RecordKey, *, error_class: str, reason: str) -> Failure:
        """Count a failed attempt; returns the record's failure so far."""
        attempts = self._failures[key].attempts + 1 if key in self._failures else 1
        self._failures[key] = Failure(error_class, reason, attempts)
        return self._failures[key]

    def timed_out(self, record: ConsumerRecord, *, reason: str) -> Failure:
        """Count an attempt that ran out of time; the record's key is slow from now on."""
        if record.key is not None:
            self._slow_keys.add(record.key)
        return self.failed(record_key(record), error_class=HandlerTimeout.__name__, reason=reason)

    def exhausted(self, key: RecordKey) -> Failure | None:
        """The record's failure once it has used all its attempts, else None."""
        failure = self._failures.get(key)
        return failure if failure is not None and failure.attempts >= self.limit else None

    def suspect(self, record: ConsumerRecord) -> bool:
        """The record failed before, or a record of its key ran out of time: handle it alone."""
        return record_key(record) in self._failures or (record.key is not None and record.key in self._slow_keys)

    def handled(self, record: ConsumerRecord) -> None:
        """The record's handler finished: its attempts are forgotten, and its key is no longer slow."""
        self._failures.pop(record_key(record), None)
        self._slow_keys.discard(record.key)

    def forget(self, key: RecordKey) -> None:
        self._failures.pop(key, None)

    def forget_partitions(self, partitions: set[TopicPartition]) -> None:
        """Another member takes these partitions (and counts afresh)."""
        self._failures = {
            key: failure for key, failure in self._failures.items() if TopicPartition(key[0], key[1]) not in partitions
        }


# Failures no retry can cure: dead-letter at the first attempt.
PERMANENT_FAILURES = (ValidationError, PermanentError)


class HandlerTimeout(TimeoutError):
    """The error class a record's dead letter names when its handler ran out of time on every attempt."""


def describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return f"invalid payload: {described(field_problems(error))}"
    return describe_error(error)

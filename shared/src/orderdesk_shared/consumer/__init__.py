"""The consumer runtime: batched reads, one transaction per poll, offsets per partition after commit.

Its parts, each in a module named for it:
- runtime: ConsumerRuntime, on Kafka's side: the poll loop, a poll's partitions and its time, pausing and resuming
  partitions, rebalances, lag.
- handling: a poll's records in the service's database: the batch's transaction and inbox claim, each record
  isolated once one fails or is slow, a span and metrics a record.
- failures: a record's failed attempts, and the failures no retry cures.
- polls: how many records a poll reads, and the errors that redo it.
- dead_letters: keeping a record that cannot be handled.
- offsets: committing offsets behind the polls.
- delivery: the record behind the event a handler is handling.
- settings: what a consumer runtime is configured with.
"""

from orderdesk_shared.consumer.delivery import current_delivery, delivering
from orderdesk_shared.consumer.failures import FailedAttempts
from orderdesk_shared.consumer.handling import Handler
from orderdesk_shared.consumer.offsets import OffsetCommits
from orderdesk_shared.consumer.polls import PollSize
from orderdesk_shared.consumer.runtime import ConsumerRuntime
from orderdesk_shared.consumer.settings import ConsumerSettings

__all__ = [
    "ConsumerRuntime",
    "ConsumerSettings",
    "FailedAttempts",
    "Handler",
    "OffsetCommits",
    "PollSize",
    "current_delivery",
    "delivering",
]

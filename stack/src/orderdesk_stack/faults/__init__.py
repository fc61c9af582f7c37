"""Faults injected into a running stack from outside, as they happen in production: signals, SQL locks and rows,
Kafka records and offsets written as the admin, a full disk. Each is an async function of the stack and a dose (how
hard it hits) that breaks something, heals it and says what it did; `orderdesk chaos` and the fault tests run them
while orders flow. No service has a hook for any of them."""

import functools

from orderdesk_stack.faults.base import BUSY_TOPIC, Dose, Fault, FaultMissed
from orderdesk_stack.faults.infrastructure import (
    broker_kill,
    broker_pause,
    disk_full,
    group_churn,
    postgres_down,
    postgres_restart,
)
from orderdesk_stack.faults.kafka import poison_record, replay_every_topic
from orderdesk_stack.faults.kills import kill_after_commit, kill_before_commit, kill_relay_between_publish_and_mark
from orderdesk_stack.faults.rows import poison_outbox_row, relay_backlog, slow_handler
from orderdesk_stack.services import SERVICES

__all__ = ["BUSY_TOPIC", "FAULTS", "LYING_IN_WAIT", "Dose", "Fault", "FaultMissed"]

FAULTS: dict[str, Fault] = {
    "broker-kill": broker_kill,
    "broker-pause": broker_pause,
    **{f"kill-{s.name}-before-commit": functools.partial(kill_before_commit, service=s.name) for s in SERVICES},
    **{f"kill-{s.name}-after-commit": functools.partial(kill_after_commit, service=s.name) for s in SERVICES},
    "relay-kill": kill_relay_between_publish_and_mark,
    "postgres-restart": postgres_restart,
    "postgres-outage": postgres_down,
    "group-churn": group_churn,
    "slow-handler": slow_handler,
    "poison-record": poison_record,
    "poison-outbox-row": poison_outbox_row,
    "replay": replay_every_topic,
    "relay-backlog": relay_backlog,
    "disk-full": disk_full,
}
# Faults that wait for a service's next write to reach its moment: they lie in wait before their slice is sent, so
# that every order of it may bring that write (once a burst of orders is stored, none may).
LYING_IN_WAIT = frozenset(f"kill-{s.name}-before-commit" for s in SERVICES)

"""The invariant checker (issue #16): after a run, did every order end somewhere with a reason, did no effect
happen twice, did states only move forward, and is nothing left in flight?

It reads what the services keep (Postgres, as the admin) and every topic from offset 0 (as the Kafka admin), with
set-based queries and batched reads, so a run of 100,000 orders is checked in minutes. It changes nothing.
"""

import asyncio
import re
import time
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Group
from rich.table import Table
from rich.text import Text

from orderdesk_shared.events.catalogue import DEAD_LETTER_SUFFIX, EVENT_MODELS, REPLAY_SUFFIX
from orderdesk_shared.events.channels import (
    CrmAccountUpdated,
    CrmOpportunitySubmitted,
    EmailReceived,
    IvrCallReceived,
)
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified, RosterPublished
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.intake import OrderCorrected, OrderReceived, OrderValidated
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.events.pricing_approval import CataloguePublished, OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.kafka_connection import KafkaConnection, topic_partitions
from orderdesk_shared.order_state import STAGE_REACHED_BY
from orderdesk_stack.catalogue import topics_read_by
from orderdesk_stack.provision import DATABASE, asyncpg_dsn
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack
from orderdesk_stack.topics import catalogue_topics

Ending = Literal["ended", "waiting", "dead_lettered", "unaccounted"]
ENDINGS: tuple[Ending, ...] = get_args(Ending)


@dataclass(frozen=True)
class Effect:
    """What one event records once, and what names its one occurrence: `per` is the event's own field that, with the
    order, identifies it (None: its subject alone)."""

    name: str
    per: str | None


# Event types that record a decision taken once: two DIFFERENT event ids for the same identity are the effect twice.
# (The same event id twice is one event: the relay may publish a row again before marking it, and inboxes drop it.)
# A correction is a new version, so "once" is per order version; a ledger line is once per ledger entry; a catalogue
# or roster version is announced once (publication tables stop a restart announcing it again).
ONCE: dict[str, Effect] = {
    OrderReceived.event_type: Effect("received", "orderVersion"),
    OrderCorrected.event_type: Effect("correction", "orderVersion"),
    OrderValidated.event_type: Effect("validation", "orderVersion"),
    ServiceabilityQualified.event_type: Effect("qualification", "orderVersion"),
    OrderPriced.event_type: Effect("quote", "orderVersion"),
    OrderApproved.event_type: Effect("approval", "orderVersion"),
    OrderHandedOff.event_type: Effect("hand-off", "orderVersion"),
    HandOffCancelled.event_type: Effect("stop asked of Operations", "orderVersion"),
    OrderRatified.event_type: Effect("ratification", "orderVersion"),
    CommissionAdjusted.event_type: Effect("ledger line", "ledgerEntry"),
    CataloguePublished.event_type: Effect("catalogue announcement", None),
    RosterPublished.event_type: Effect("roster announcement", None),
}
# Event types that legitimately repeat, and why: nothing is checked on their count.
MAY_REPEAT: dict[str, str] = {
    OrderFallout.event_type: "an order is held and released, put in jeopardy and escalated any number of times",
    OpsOrderStatusChanged.event_type: "Operations reports each step (accepted, scheduled, rescheduled, ...) and may "
    "repeat one",
    CrmOpportunitySubmitted.event_type: "the CRM resends; intake's submissions make a resend the same order",
    CrmAccountUpdated.event_type: "an account record changes over time",
    EmailReceived.event_type: "the mail gateway may deliver a message again; intake keys it by Message-ID",
    IvrCallReceived.event_type: "the IVR platform may send a call again; intake keys it by call id",
}


@dataclass(frozen=True)
class StoredEffect:
    """A table whose rows record a decision taken once, though its primary key would not stop a second row."""

    service: str
    table: str
    name: str
    # The columns that name the decision's one occurrence; the first is the order id.
    once_per: tuple[str, ...]


# Tables whose primary key makes a second row impossible (qualifications, quotes, hand-offs, ratifications: one per
# order or order version) cannot show a doubled effect; their effects are counted on the topics above. The ledger's
# unique entry_key names each line, which commission.adjusted announces once per entry.
STORED_ONCE: tuple[StoredEffect, ...] = (
    # An approver decides a pending request once; a request is one per order version and role.
    StoredEffect(
        "pricing-approval",
        "pricing_approval.approval_decisions",
        "approval decision",
        ("order_id", "order_version", "role"),
    ),
)
STAGE_OF_TYPE: dict[str, Stage] = {model.event_type: stage for model, stage in STAGE_REACHED_BY.items()}

# Where an order rests for good; a rejection must say why (the rep corrects the order or lets it go).
ENDED_STATES = frozenset({OrderState.COMPLETED, OrderState.PARTIAL, OrderState.CANCELLED})
NEEDS_A_REASON_TO_END = frozenset({OrderState.REJECTED})
# Where an order waits for the desk or a specialist: only with a reason somebody can act on.
WAITING_FOR_PEOPLE = frozenset({OrderState.HELD, OrderState.PENDING, OrderState.FAILED})
# Where an order waits for Operations: once handed off (installing), or while Operations stops the work.
CANCELLING_STATES = frozenset({OrderState.ASSESSING_CANCELLATION, OrderState.PENDING_CANCELLATION})

_VERSION = re.compile(rb'"orderVersion":(\d+)')
_FIELD = {"orderVersion": _VERSION, "ledgerEntry": re.compile(rb'"ledgerEntry":"((?:[^"\\]|\\.)*)"')}
_FETCH = {"fetch_max_bytes": 64 * 1024 * 1024, "max_partition_fetch_bytes": 16 * 1024 * 1024}
_DRAIN_POLL_SECONDS = 0.5
_READ_STALL_SECONDS = 60.0


@dataclass(frozen=True)
class OrderAccount:
    """Where one order rests, in which TMF622 state, and why (what ended it, what it waits for, what failed)."""

    order_id: str
    ending: Ending
    state: str
    reason: str


@dataclass(frozen=True)
class InvariantReport:
    """Every checked order's account, and each violation as a line a person can act on: orders lost, effects
    doubled (naming service, order, version and effect), stages that went backwards, lag or backlog left."""

    accounts: dict[str, OrderAccount]
    lost: list[str]
    duplicated: list[str]
    regressions: list[str]
    undrained: list[str]
    records_read: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.regressions or self.undrained)

    @property
    def lost_count(self) -> int:
        return len(self.lost)

    @property
    def duplicated_count(self) -> int:
        return len(self.duplicated)

    def render(self, *, most: int = 50) -> Group:
        """The orders per ending and state, each invariant's verdict, then the violations (at most `most` of each
        kind: a disaster's full list is in `problems()`)."""
        endings = Table(title="orders per ending", title_justify="left")
        for column, justify in (("ending", "left"), ("state", "left"), ("orders", "right")):
            endings.add_column(column, justify=justify)
        counted = Counter((account.ending, account.state) for account in self.accounts.values())
        for (ending, state), count in sorted(counted.items(), key=lambda item: (ENDINGS.index(item[0][0]), item[0])):
            endings.add_row(Text(ending, style="red" if ending == "unaccounted" else ""), state, f"{count:,}")
        checks = Table(title="invariants", title_justify="left")
        for column, justify in (("invariant", "left"), ("violations", "right")):
            checks.add_column(column, justify=justify)
        shown: list[Text] = []
        for label, found in self._violations().items():
            checks.add_row(label, Text(f"{len(found):,}", style="red" if found else "green"))
            shown += [Text(f"{label}: {line}", style="red") for line in found[:most]]
            if len(found) > most:
                shown.append(Text(f"{label}: ... and {len(found) - most:,} more", style="red"))
        verdict = "ok" if self.ok else "VIOLATED"
        summary = Text(
            f"{len(self.accounts):,} orders, {self.records_read:,} records read in {self.seconds:.1f} s: {verdict}",
            style="green" if self.ok else "bold red",
        )
        return Group(endings, checks, *shown, summary)

    def problems(self) -> list[str]:
        """Every violation, one line each, saying which invariant it breaks."""
        return [f"{label}: {line}" for label, found in self._violations().items() for line in found]

    def _violations(self) -> dict[str, list[str]]:
        return {
            "lost": [f"{order_id}: {self.accounts[order_id].reason}" for order_id in self.lost],
            "duplicated": self.duplicated,
            "moved backwards": self.regressions,
            "undrained": self.undrained,
        }


async def check_invariants(
    stack: Stack,
    *,
    order_ids: Collection[str] | None = None,
    drain_timeout: float = 60.0,
    orders_since: datetime | None = None,
) -> InvariantReport:
    """Wait (up to `drain_timeout` seconds) for every consumer group and outbox to drain, then check the invariants
    for `order_ids` (default: every order intake knows, or those it created from `orders_since` on)."""
    started = time.monotonic()
    kafka = stack.kafka_admin
    database = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        undrained = await _drained(kafka, database, timeout=drain_timeout)
        orders = await _orders(database, order_ids, orders_since)
        wanted = list(orders)
        elsewhere = await _reasons_elsewhere(database, wanted)
        dead_letters = await _dead_letters(database, wanted)
        replayed = await _replayed_dead_letters(database, wanted)
        stored_twice = [*await _stored_twice(database, wanted), *await _rows_twice(database, wanted)]
    finally:
        await database.close()
    topics = await _read_topics(kafka, set(wanted), replayed)
    for order_id, reasons in topics.dead_letters.items():
        dead_letters[order_id] = list(dict.fromkeys([*dead_letters[order_id], *reasons]))
    accounts = {
        order_id: account_for(order, elsewhere=elsewhere.get(order_id, []), dead_letters=dead_letters.get(order_id, []))
        for order_id, order in orders.items()
    }
    return InvariantReport(
        accounts=accounts,
        lost=[order_id for order_id, account in accounts.items() if account.ending == "unaccounted"],
        duplicated=[*topics.duplicated, *stored_twice],
        regressions=topics.regressions,
        undrained=undrained,
        records_read=topics.records,
        seconds=time.monotonic() - started,
    )


@dataclass(frozen=True)
class OrderAtIntake:
    """What intake, which answers TMF622 clients, says of an order."""

    order_id: str
    state: str
    stage: str
    version: int
    findings: list[str]


@dataclass(frozen=True)
class Elsewhere:
    """What another service records about why an order of a version waits."""

    version: int
    reason: str
    with_operations: bool = False


def account_for(order: OrderAtIntake, *, elsewhere: Iterable[Elsewhere], dead_letters: list[str]) -> OrderAccount:
    """Where an order rests, judged once nothing is in flight: ended, waiting with a reason, dead-lettered with a
    reason, or unaccounted (lost)."""
    current = [reason for reason in elsewhere if reason.version == order.version]
    people = "; ".join([*order.findings, *(reason.reason for reason in current if not reason.with_operations)])
    operations = "; ".join(reason.reason for reason in current if reason.with_operations)

    def account(ending: Ending, reason: str) -> OrderAccount:
        return OrderAccount(order.order_id, ending, order.state, reason)

    if order.state in ENDED_STATES:
        return account("ended", people or f"{order.state} at {order.stage}")
    if order.state in NEEDS_A_REASON_TO_END and people:
        return account("ended", people)
    if dead_letters:
        return account("dead_lettered", "; ".join(dead_letters))
    if order.state in WAITING_FOR_PEOPLE and people:
        return account("waiting", people)
    if _operations_has_it(order) and operations:
        return account("waiting", operations)
    return account(
        "unaccounted", f"{order.state} at {order.stage} (version {order.version}), and nothing anywhere says why"
    )


def _operations_has_it(order: OrderAtIntake) -> bool:
    """Handed off and being installed, or being stopped: Operations moves it on, not OrderDesk."""
    if order.state in CANCELLING_STATES:
        return True
    return order.state == OrderState.IN_PROGRESS and Stage(order.stage).rank >= Stage.HANDED_OFF.rank


# --- drained ------------------------------------------------------------------------------------------------------


async def outstanding_work(stack: Stack, *, timeout: float) -> list[str]:
    """Wait (up to `timeout` seconds) until no consumer group lags and no outbox holds a row; what is left then
    (`orderdesk chaos` times each fault's drain with it)."""
    database = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        return await _drained(stack.kafka_admin, database, timeout=timeout)
    finally:
        await database.close()


async def _drained(kafka: KafkaConnection, database: asyncpg.Connection, *, timeout: float) -> list[str]:
    """Wait until no consumer group lags and no outbox holds an unpublished row; what is left after `timeout`."""
    deadline = time.monotonic() + timeout
    read_by = {service.name: await topic_partitions(kafka, sorted(topics_read_by(service))) for service in SERVICES}
    admin = AIOKafkaAdminClient(**kafka.client_options())
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        while True:
            left = [*await _lag(admin, consumer, read_by), *await _outbox_backlog(database)]
            if not left or time.monotonic() >= deadline:
                return left
            await asyncio.sleep(_DRAIN_POLL_SECONDS)
    finally:
        await consumer.stop()
        await admin.close()


async def _lag(
    admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, read_by: dict[str, list[TopicPartition]]
) -> list[str]:
    """Each group's records not yet committed, per topic it reads (from offset 0 when it committed none)."""
    left = []
    for group, partitions in read_by.items():
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group)
        behind: Counter[str] = Counter()
        for partition in partitions:
            at = committed[partition].offset if partition in committed else 0
            behind[partition.topic] += max(ends[partition] - at, 0)
        left += [f"{group} is {n:,} records behind on {topic}" for topic, n in sorted(behind.items()) if n]
    return left


async def _outbox_backlog(database: asyncpg.Connection) -> list[str]:
    counts = await database.fetch(
        " UNION ALL ".join(
            f"SELECT '{service.schema}' AS schema, count(*) AS n "
            f"FROM {service.schema}.outbox WHERE published_at IS NULL"
            for service in SERVICES
        )
    )
    return [f"{row['schema']}.outbox holds {row['n']:,} unpublished rows" for row in counts if row["n"]]


# --- what the services keep -----------------------------------------------------------------------------------------


async def _orders(
    database: asyncpg.Connection, order_ids: Collection[str] | None, since: datetime | None
) -> dict[str, OrderAtIntake]:
    rows = await database.fetch(
        """
        SELECT id, state, stage, version,
               ARRAY(SELECT coalesce(f ->> 'reasonCode', '') || ': ' || coalesce(f ->> 'message', '')
                     FROM jsonb_array_elements(findings) AS f) AS findings
        FROM intake.orders
        WHERE ($1::text[] IS NULL OR id IN (SELECT unnest($1::text[])))
          AND ($2::timestamptz IS NULL OR created_at >= $2)
        """,
        None if order_ids is None else list(order_ids),
        since,
    )
    found = {
        row["id"]: OrderAtIntake(row["id"], row["state"], row["stage"], row["version"], list(row["findings"]))
        for row in rows
    }
    unknown = [order_id for order_id in order_ids or () if order_id not in found]
    for order_id in unknown:
        found[order_id] = OrderAtIntake(order_id, "unknown to intake", Stage.RECEIVED, 0, [])
    return found


# Why an order waits, as each service records it: (whether Operations has it, a query yielding order id, version and
# reason for the orders in $1).
WAITING_REASONS: tuple[tuple[bool, str], ...] = (
    (
        False,
        """SELECT order_id, order_version, 'site survey ' || survey_id || ' open for ' || site
           FROM serviceability.site_surveys WHERE state = 'open'
             AND order_id IN (SELECT unnest($1::text[]))""",
    ),
    (
        False,
        """SELECT order_id, order_version, 'approval by ' || role || ' pending since ' || requested_at::date
           FROM pricing_approval.approval_requests WHERE status = 'pending'
             AND order_id IN (SELECT unnest($1::text[]))""",
    ),
    (
        False,
        """SELECT order_id, order_version,
                  'hand-off held: ' || coalesce((SELECT string_agg(f ->> 'message', '; ')
                                                 FROM jsonb_array_elements(findings) AS f), 'no finding kept')
           FROM fulfillment.handoffs WHERE state = 'held'
             AND order_id IN (SELECT unnest($1::text[]))""",
    ),
    (
        True,
        """SELECT order_id, handed_off_version,
                  'handed off to Operations (version ' || handed_off_version || ')'
                  || coalesce(', Operations: ' || ops_status, ', not yet acknowledged by Operations')
                  || CASE WHEN cancel_sent_at IS NULL THEN '' ELSE ', asked to stop the work' END
           FROM fulfillment.handoffs WHERE handed_off_version IS NOT NULL
             AND order_id IN (SELECT unnest($1::text[]))""",
    ),
)


async def _reasons_elsewhere(database: asyncpg.Connection, order_ids: list[str]) -> dict[str, list[Elsewhere]]:
    found: dict[str, list[Elsewhere]] = defaultdict(list)
    for with_operations, query in WAITING_REASONS:
        for order_id, version, reason in await database.fetch(query, order_ids):
            found[order_id].append(Elsewhere(version, reason, with_operations))
    return found


async def _dead_letters(database: asyncpg.Connection, order_ids: list[str]) -> defaultdict[str, list[str]]:
    """Each order's records some service could not handle, with the reason it kept (the key is the order id); not
    those an SRE replayed, which were handled again (or failed again, as a dead letter of their own)."""
    rows = await database.fetch(
        " UNION ALL ".join(
            f"""SELECT key, consumer, topic, headers ->> 'ce_type' AS type, error_class, reason
                FROM {service.schema}.dead_letters WHERE key IN (SELECT unnest($1::text[]))
                AND resolution IS DISTINCT FROM 'replayed'"""
            for service in SERVICES
        ),
        order_ids,
    )
    found: defaultdict[str, list[str]] = defaultdict(list)
    for row in rows:
        found[row["key"]].append(
            _dead_letter_reason(row["consumer"], row["type"], row["topic"], row["error_class"], row["reason"])
        )
    return found


# Where a consumer read a record it dead-lettered: consumer, topic, replay topic ("" when read from its topic),
# partition and offset, as its dead letter names it (dead_letters row, or the `dlt-` headers on `<topic>.dlt`).
ReadAt = tuple[str, str, str, str, str]


async def _replayed_dead_letters(database: asyncpg.Connection, order_ids: list[str]) -> set[ReadAt]:
    """The orders' dead letters an SRE replayed: their records on the `.dlt` topics explain nothing either."""
    rows = await database.fetch(
        " UNION ALL ".join(
            f"""SELECT consumer, topic, coalesce(replay_topic, '') AS replay_topic, partition::text, "offset"::text
                FROM {service.schema}.dead_letters WHERE key IN (SELECT unnest($1::text[]))
                AND resolution = 'replayed'"""
            for service in SERVICES
        ),
        order_ids,
    )
    return {tuple(row.values()) for row in rows}


def _dead_letter_reason(consumer: str, event_type: str | None, topic: str, error_class: str, reason: str) -> str:
    return f"{consumer} dead-lettered {event_type or 'a record'} from {topic}: {error_class}: {reason}"


async def _stored_twice(database: asyncpg.Connection, order_ids: list[str]) -> list[str]:
    """Once-only events each service recorded twice in its outbox (two event ids for one effect); published rows
    stay there for the outbox retention, so this sees what the relay has not deleted yet."""
    types = list(ONCE)
    fields = [ONCE[event_type].per for event_type in types]
    rows = await database.fetch(
        " UNION ALL ".join(
            f"""SELECT '{service.name}' AS service, aggregate_id, type,
                       convert_from(payload, 'UTF8')::jsonb ->> once.field AS part,
                       count(DISTINCT headers ->> 'ce_id') AS n
                FROM {service.schema}.outbox JOIN unnest($2::text[], $3::text[]) AS once(type, field) USING (type)
                WHERE aggregate_type = 'order'
                  AND (once.field IS NULL OR aggregate_id IN (SELECT unnest($1::text[])))
                GROUP BY aggregate_id, type, part HAVING count(DISTINCT headers ->> 'ce_id') > 1"""
            for service in SERVICES
        ),
        order_ids,
        types,
        fields,
    )
    return [
        f"{row['service']} recorded the {_effect_named(row['type'], row['aggregate_id'], row['part'])} "
        f"{row['n']} times in its outbox"
        for row in rows
    ]


async def _rows_twice(database: asyncpg.Connection, order_ids: list[str]) -> list[str]:
    """Decisions taken once that a service's table holds more than once."""
    found = []
    for effect in STORED_ONCE:
        columns = ", ".join(effect.once_per)
        rows = await database.fetch(
            f"""SELECT {columns}, count(*) AS n FROM {effect.table}
                WHERE {effect.once_per[0]} IN (SELECT unnest($1::text[]))
                GROUP BY {columns} HAVING count(*) > 1""",
            order_ids,
        )
        found += [
            f"{effect.service} holds the {effect.name} of "
            + ", ".join(f"{column} {row[column]}" for column in effect.once_per)
            + f" {row['n']} times in {effect.table}"
            for row in rows
        ]
    return found


def _effect_named(event_type: str, subject: str, part: str | None) -> str:
    effect = ONCE[event_type]
    if effect.per == "orderVersion":
        return f"{effect.name} of order {subject} version {part}"
    if effect.per is None:
        return f"{effect.name} {subject}"
    return f"{effect.name} {part} of order {subject}"


# --- the topics -----------------------------------------------------------------------------------------------------


@dataclass
class _TopicTally:
    """What the records on every topic show, read once from offset 0."""

    wanted: set[str]
    replayed: set[ReadAt] = field(default_factory=set)
    records: int = 0
    # effect identity -> the first event id seen for it, and the different ones seen after it
    first_id: dict[tuple[str, str, str | None], bytes] = field(default_factory=dict)
    more_ids: defaultdict[tuple[str, str, str | None], set[bytes]] = field(default_factory=lambda: defaultdict(set))
    producers: dict[tuple[str, str, str | None], str] = field(default_factory=dict)
    # (order, version) -> (event time, stage) of each stage event
    stages: defaultdict[tuple[str, int], set[tuple[str, Stage]]] = field(default_factory=lambda: defaultdict(set))
    dead_letters: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, topic: str, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]]) -> None:
        self.records += 1
        subject = key.decode() if key else ""
        if topic.endswith(DEAD_LETTER_SUFFIX):
            if subject in self.wanted:
                self._dead_letter(topic, subject, dict(headers))
            return
        if topic.endswith(REPLAY_SUFFIX):
            # An SRE's replay: a copy of a record of its source topic (the same event id), no effect of its own.
            return
        attributes = dict(headers)
        event_type = attributes.get("ce_type", b"").decode()
        stage = STAGE_OF_TYPE.get(event_type)
        effect = ONCE.get(event_type)
        if effect is None or (effect.per is not None and subject not in self.wanted):
            return
        part = _field(value, effect.per)
        identity = (event_type, subject, part)
        event_id = attributes.get("ce_id", b"")
        first = self.first_id.setdefault(identity, event_id)
        if first != event_id:
            self.more_ids[identity].add(event_id)
            self.producers.setdefault(identity, attributes.get("ce_source", b"").decode())
        if stage is not None and part is not None:
            self.stages[(subject, int(part))].add((attributes.get("ce_time", b"").decode(), stage))

    def _dead_letter(self, topic: str, subject: str, headers: dict[str, bytes]) -> None:
        def header(name: str) -> str:
            return headers.get(name, b"").decode()

        source = topic.removesuffix(DEAD_LETTER_SUFFIX)
        read_at = (
            header("dlt-consumer"),
            source,
            header("dlt-replay-topic"),
            header("dlt-original-partition"),
            header("dlt-original-offset"),
        )
        if read_at in self.replayed:
            return
        reason = _dead_letter_reason(
            header("dlt-consumer"),
            header("ce_type"),
            source,
            header("dlt-error-class"),
            header("dlt-reason"),
        )
        if reason not in self.dead_letters[subject]:
            self.dead_letters[subject].append(reason)

    @property
    def duplicated(self) -> list[str]:
        return [
            f"{self.producers[identity]} published the {_effect_named(*identity)} {len(ids) + 1} times "
            f"(different event ids)"
            for identity, ids in sorted(self.more_ids.items())
        ]

    @property
    def regressions(self) -> list[str]:
        """A stage event of an order version decided after one of a later stage: the order went back.

        Each stage has its own topic, so offsets do not order stages; the event time does: a service stamps it when
        it decides, after reading the event that led there. A correction is a new version, which starts over."""
        found = []
        for (order_id, version), events in sorted(self.stages.items()):
            furthest: tuple[datetime, Stage] | None = None
            for at, stage in sorted((datetime.fromisoformat(at), stage) for at, stage in events):
                if furthest and stage.rank < furthest[1].rank and at > furthest[0]:
                    found.append(
                        f"order {order_id} version {version}: {stage} at {at:%H:%M:%S.%f} "
                        f"after {furthest[1]} at {furthest[0]:%H:%M:%S.%f}"
                    )
                if furthest is None or stage.rank > furthest[1].rank:
                    furthest = (at, stage)
        return found


def _field(value: bytes | None, name: str | None) -> str | None:
    if name is None:
        return None
    found = _FIELD[name].search(value or b"")
    return found.group(1).decode() if found else None


@dataclass(frozen=True)
class TopicFindings:
    records: int
    duplicated: list[str]
    regressions: list[str]
    dead_letters: dict[str, list[str]]


async def _read_topics(kafka: KafkaConnection, wanted: set[str], replayed: set[ReadAt]) -> TopicFindings:
    """Read every topic from its start to the end offsets taken now, in large batches."""
    partitions = await topic_partitions(kafka, catalogue_topics())
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False, **_FETCH)
    await consumer.start()
    tally = _TopicTally(wanted, replayed)
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        remaining = {partition for partition in partitions if ends[partition] > starts[partition]}
        await consumer.seek_to_beginning(*partitions)
        last_progress = time.monotonic()
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=50_000)
            for partition, records in batches.items():
                end = ends[partition]
                for record in records:
                    if record.offset < end:
                        tally.add(partition.topic, record.key, record.value, record.headers)
                last_progress = time.monotonic()
            for partition in list(remaining):
                if await consumer.position(partition) >= ends[partition]:
                    remaining.discard(partition)
            if time.monotonic() - last_progress > _READ_STALL_SECONDS:
                raise RuntimeError(f"no records for {_READ_STALL_SECONDS:.0f} s from {sorted(map(str, remaining))}")
    finally:
        await consumer.stop()
    return TopicFindings(tally.records, tally.duplicated, tally.regressions, dict(tally.dead_letters))


def unclassified_event_types() -> list[str]:
    """Event types the checker has no rule for (neither once-only nor allowed to repeat): each needs a decision."""
    known = ONCE.keys() | MAY_REPEAT.keys()
    return sorted(model.event_type for model in EVENT_MODELS if model.event_type not in known)

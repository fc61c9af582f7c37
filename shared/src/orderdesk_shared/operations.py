"""The operations API every service serves to SREs: its dead letters (triage, replay, discard) and its status
(consumer lag per partition, outbox backlog, open dead letters).

A replay writes the dead-lettered record (key, headers, payload: its CloudEvent id and type, its traceparent) to the
service's own replay topic (`<service>.replay`), with a header naming the topic it came from, through the service's
outbox, in the transaction that records who replayed it: nothing is lost while Kafka is away, and no service writes
a topic another service owns (only the service's principal may write or read its replay topic). Its consumer reads
the replay topic beside its source topics and handles the record like one from its topic, afresh (the consumer
never claims a dead-lettered record's id in its inbox); if it fails again, its new dead letter names the same topic.
An outbox row the relay could not publish is replayed onto its own topic, which the service owns. Each dead letter
is resolved once, replayed or discarded, with who, when and why: its audit line.
"""

import dataclasses
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.codec import KafkaRecord
from orderdesk_shared.db import Database
from orderdesk_shared.events.catalogue import REPLAY_SOURCE_TOPIC_HEADER, replay_topic
from orderdesk_shared.limits import NOTE_CHARS, Offset, PageSize
from orderdesk_shared.relay import RELAY_DEAD_LETTER_CONSUMER
from orderdesk_shared.runtime import ServiceRuntime
from orderdesk_shared.telemetry import context_from_carrier

TRACE_HEADERS = ("traceparent", "tracestate")


class Resolution(StrEnum):
    REPLAYED = "replayed"
    DISCARDED = "discarded"


class Shown(StrEnum):
    """Which dead letters a listing shows."""

    OPEN = "open"
    RESOLVED = "resolved"
    ALL = "all"


class ResolutionNote(BaseModel):
    """Why the SRE replays or discards the record (e.g. "the row lock was released", "a test record")."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=NOTE_CHARS)


class NoSuchDeadLetter(LookupError):
    """No dead letter has this id (or it was purged after its retention)."""


class AlreadyResolved(Exception):
    """The dead letter was replayed or discarded before."""


SreOnly = Annotated[Principal, Depends(require_roles(Role.SRE))]
# A dead letter's id, as its BIGINT column takes it.
DeadLetterId = Annotated[int, Path(ge=1, le=2**63 - 1)]

router = APIRouter(prefix="/ops", tags=["operations"])


@router.get("/dead-letters")
async def list_dead_letters(
    db: DatabaseDep,
    _: SreOnly,
    response: Response,
    topic: Annotated[str | None, Query(max_length=200, description="the topic the records came from")] = None,
    reason: Annotated[str | None, Query(max_length=200, description="part of the reason, in any case")] = None,
    state: Shown = Shown.OPEN,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """This service's dead letters, the newest first, with their records; X-Total-Count says how many match."""
    letters, total = await dead_letters(db, topic=topic, reason=reason, shown=state, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return letters


@router.get("/dead-letters/{dead_letter_id}")
async def get_dead_letter(dead_letter_id: DeadLetterId, db: DatabaseDep, _: SreOnly) -> dict[str, Any]:
    async with db.engine.connect() as connection:
        row = await _row(connection, db, dead_letter_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dead letter {dead_letter_id}")
    return dead_letter_view(row)


@router.post("/dead-letters/{dead_letter_id}/replay")
async def replay(dead_letter_id: DeadLetterId, body: ResolutionNote, db: DatabaseDep, sre: SreOnly) -> dict[str, Any]:
    """Write the record to this service's replay topic for its consumer to handle again (through the outbox); 409 if
    resolved."""
    return await _resolved_or_problem(db, dead_letter_id, Resolution.REPLAYED, by=sre.subject, note=body.note)


@router.post("/dead-letters/{dead_letter_id}/discard")
async def discard(dead_letter_id: DeadLetterId, body: ResolutionNote, db: DatabaseDep, sre: SreOnly) -> dict[str, Any]:
    """Close the dead letter without handling its record; 409 if resolved."""
    return await _resolved_or_problem(db, dead_letter_id, Resolution.DISCARDED, by=sre.subject, note=body.note)


@router.get("/status")
async def ops_status(request: Request, _: SreOnly) -> dict[str, Any]:
    """This replica's consumer group and lag per assigned partition, the outbox backlog and the open dead letters."""
    return await service_status(request.app.state.runtime)


async def _resolved_or_problem(
    db: Database, dead_letter_id: int, resolution: Resolution, *, by: str, note: str
) -> dict[str, Any]:
    try:
        return await resolve(db, dead_letter_id, resolution, by=by, note=note)
    except NoSuchDeadLetter as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except AlreadyResolved as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


async def dead_letters(
    db: Database, *, topic: str | None, reason: str | None, shown: Shown, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The dead letters matching, newest first, as the API shows them; and how many match in all."""
    table = db.tables.dead_letters
    query = sa.select(table)
    if topic:
        query = query.where(table.c.topic == topic)
    if reason:
        query = query.where(table.c.reason.icontains(reason, autoescape=True))
    if shown is Shown.OPEN:
        query = query.where(table.c.resolved_at.is_(None))
    elif shown is Shown.RESOLVED:
        query = query.where(table.c.resolved_at.is_not(None))
    async with db.engine.connect() as connection:
        total = (await connection.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
        page = query.order_by(sa.func.coalesce(table.c.resolved_at, table.c.created_at).desc(), table.c.id.desc())
        rows = (await connection.execute(page.limit(limit).offset(offset))).mappings().all()
    return [dead_letter_view(row) for row in rows], total


async def resolve(db: Database, dead_letter_id: int, resolution: Resolution, *, by: str, note: str) -> dict[str, Any]:
    """Replay or discard a dead letter, with its audit line; NoSuchDeadLetter when there is none, AlreadyResolved
    (saying by whom and when) when it was resolved before."""
    table = db.tables.dead_letters
    async with db.unit_of_work() as uow:
        resolved = (
            (
                await uow.connection.execute(
                    sa.update(table)
                    .where(table.c.id == dead_letter_id, table.c.resolved_at.is_(None))
                    .values(resolution=resolution, resolved_by=by, resolved_at=sa.func.now(), resolution_note=note)
                    .returning(table)
                )
            )
            .mappings()
            .first()
        )
        if resolved is None:
            row = await _row(uow.connection, db, dead_letter_id)
            if row is None:
                raise NoSuchDeadLetter(f"no dead letter {dead_letter_id}")
            raise AlreadyResolved(
                f"dead letter {dead_letter_id} was {row['resolution']} by {row['resolved_by']}"
                f" at {row['resolved_at'].isoformat()}"
            )
        if resolution is Resolution.REPLAYED:
            headers = resolved["headers"]
            uow.emit_record(
                _replay_of(resolved),
                aggregate_type="replayed_dead_letter",
                event_type=headers.get("ce_type", "unreadable"),
                # The replay belongs to the record's own trace (its order's).
                trace_context=context_from_carrier({name: headers[name] for name in TRACE_HEADERS if name in headers}),
            )
    return dead_letter_view(resolved)


def _replay_of(letter: sa.RowMapping) -> KafkaRecord:
    """The dead letter's record as its replay: to its consumer's replay topic, naming its topic; an outbox row the
    relay could not publish goes to its own topic again."""
    record = KafkaRecord(topic=letter["topic"], key=letter["key"], value=letter["payload"], headers=letter["headers"])
    if letter["consumer"] == RELAY_DEAD_LETTER_CONSUMER:
        return record
    return dataclasses.replace(
        record,
        topic=replay_topic(letter["consumer"]),
        headers=record.headers | {REPLAY_SOURCE_TOPIC_HEADER: letter["topic"]},
    )


async def _row(connection, db: Database, dead_letter_id: int) -> sa.RowMapping | None:
    table = db.tables.dead_letters
    return (await connection.execute(sa.select(table).where(table.c.id == dead_letter_id))).mappings().first()


def dead_letter_view(row: sa.RowMapping) -> dict[str, Any]:
    """A dead letter as the API shows it: the record (its payload as JSON when it parses), why it failed and what
    was done about it."""
    payload, payload_format = _readable(row["payload"])
    return {
        "id": row["id"],
        "consumer": row["consumer"],
        "topic": row["topic"],
        # Where the record was read (partition, offset): its topic, or the replay topic for a replay that failed again.
        "readFrom": row["replay_topic"] or row["topic"],
        "partition": row["partition"],
        "offset": row["offset"],
        "key": row["key"],
        "headers": row["headers"],
        "payload": payload,
        "payloadFormat": payload_format,
        "errorClass": row["error_class"],
        "reason": row["reason"],
        "createdAt": row["created_at"],
        "resolution": None
        if row["resolved_at"] is None
        else {
            "action": row["resolution"],
            "by": row["resolved_by"],
            "at": row["resolved_at"],
            "note": row["resolution_note"],
        },
    }


def _readable(payload: bytes) -> tuple[Any, str]:
    """The payload as JSON when it parses, else as text (undecodable bytes replaced)."""
    try:
        return json.loads(payload), "json"
    except ValueError:
        return payload.decode(errors="replace"), "text"


async def service_status(runtime: ServiceRuntime) -> dict[str, Any]:
    """What an SRE checks first: is the consumer keeping up, is the outbox draining, is anything dead-lettered."""
    tables = runtime.database.tables
    async with runtime.database.engine.connect() as connection:
        backlog = await connection.scalar(tables.backlog_count())
        open_letters = await connection.scalar(tables.open_dead_letters_count())
    consumer = runtime.consumer
    return {
        "service": runtime.settings.service_name,
        "consumer": {
            "group": consumer.name,
            "topics": consumer.topics,
            "joined": consumer.joined,
            "partitions": [
                {
                    "topic": lag.topic,
                    "partition": lag.partition,
                    "position": lag.position,
                    "end": lag.end,
                    "lag": lag.lag,
                    "paused": lag.paused,
                }
                for lag in consumer.partition_lags
            ],
        },
        "outbox": {"backlog": backlog, "relayLeader": runtime.relay.is_leader, "relayError": runtime.relay.last_error},
        "deadLetters": {"open": open_letters},
        "checkedAt": datetime.now(UTC),
    }

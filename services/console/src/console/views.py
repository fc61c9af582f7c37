"""How the console's rows and timeline lines look in JSON: camelCase, as every OrderDesk API."""

from typing import Any

from console.domain.timeline import TimelineEntry


def order_view(row: dict[str, Any]) -> dict[str, Any]:
    """An order row as the API shows it: camelCase, as every OrderDesk API."""
    names = {
        "order_version": "orderVersion",
        "stage_entered_at": "stageEnteredAt",
        "received_at": "receivedAt",
        "last_event_at": "lastEventAt",
        "last_event": "lastEvent",
        "trace_id": "traceId",
        "sla_due_at": "slaDueAt",
        "order_type": "orderType",
        "submitted_by": "submittedBy",
    }
    return {names.get(key, key): value for key, value in row.items()}


def timeline_view(line: TimelineEntry) -> dict[str, Any]:
    return {
        "at": line.occurred_at,
        "orderVersion": line.order_version,
        "kind": line.kind,
        "stage": line.stage,
        "who": line.actor,
        "what": line.what,
        "why": line.why,
        "source": line.source,
        "eventType": line.event_type,
        "traceId": line.trace_id,
    }

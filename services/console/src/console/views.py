"""How the console's rows and timeline lines look in JSON: camelCase, as every OrderDesk API."""

from typing import Any

from pydantic.alias_generators import to_camel

from console.domain.timeline import TimelineEntry


def order_view(row: dict[str, Any]) -> dict[str, Any]:
    """An order row as the API shows it: camelCase, as every OrderDesk API."""
    return {to_camel(key): value for key, value in row.items()}


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
        "itemIds": line.item_ids,
    }


def history_view(lines: list[TimelineEntry], assignments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order's timeline as people read it: its events' lines and the desk's assignments, oldest first."""
    shown = [timeline_view(line) for line in lines] + [_assignment_view(assignment) for assignment in assignments]
    return sorted(shown, key=lambda line: line["at"])


def _assignment_view(assignment: dict[str, Any]) -> dict[str, Any]:
    assignee, by = assignment["assignee"], assignment["assigned_by"]
    return {
        "at": assignment["assigned_at"],
        "orderVersion": assignment["order_version"],
        "kind": "assigned",
        "stage": None,
        "who": by,
        "what": "took the order" if assignee == by else f"assigned to {assignee}",
        "why": [],
        "source": "console",
        "eventType": None,
        "traceId": None,
        "itemIds": [],
    }

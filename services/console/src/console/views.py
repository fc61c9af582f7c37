"""How the console's rows and timeline lines look in JSON: camelCase, as every OrderDesk API."""

from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel

from console.domain.schedules import ReportSchedules, next_run, run_due_at
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


def schedule_views(
    schedules: ReportSchedules, checked: dict[str, dict[str, Any]], *, now: datetime
) -> list[dict[str, Any]]:
    """Each report schedule as the API shows it: what it sends to whom and when, the last run it queued (none yet:
    null) and when its next run is due (a past time: due, queued at the watch's next check)."""
    views = []
    for name, schedule in schedules.schedules.items():
        state = checked.get(name, {})
        last_due_at = state.get("last_due_at")
        last = None if last_due_at is None else run_due_at(name, schedule, last_due_at)
        views.append(
            {"name": name}
            | order_view(schedule.model_dump(mode="json"))
            | {
                "lastRun": last
                and {"dueAt": last.due_at, "queuedAt": state["last_queued_at"], "start": last.start, "end": last.end},
                "nextRunAt": next_run(schedule, after=last_due_at or state.get("first_checked_at") or now),
            }
        )
    return views

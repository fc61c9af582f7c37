"""The rules the console runs with: the stage SLA policy and the status notification policy its settings name (the
SLAs counted in the shared business calendar), and the report schedules; loaded by its bootstrap once at start, so a
bad file stops the console there with the reason."""

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from console.domain.notifications import NotificationPolicy
from console.domain.schedules import ReportSchedules
from console.domain.sla import StageSlaPolicy
from console.settings import Settings
from orderdesk_shared.calendar import CALENDAR_CONTEXT, load_business_calendar


class RulesError(ValueError):
    """A policy file is missing or malformed; the message names the file and what is wrong (for a report schedule:
    the schedule and its field)."""


@dataclass(frozen=True)
class ConsoleRules:
    slas: StageSlaPolicy
    notifications: NotificationPolicy
    # Where the console's pages are, for the links its mail gives.
    console_url: str
    report_schedules: ReportSchedules


def load_rules(settings: Settings) -> ConsoleRules:
    with settings.stage_slas.open("rb") as file:
        slas = StageSlaPolicy.model_validate(tomllib.load(file), context={CALENDAR_CONTEXT: load_business_calendar()})
    with settings.notifications.open("rb") as file:
        notifications = NotificationPolicy.model_validate(tomllib.load(file))
    return ConsoleRules(
        slas=slas,
        notifications=notifications,
        console_url=settings.public_url.rstrip("/"),
        report_schedules=load_report_schedules(settings.report_schedules),
    )


def load_report_schedules(path: Path) -> ReportSchedules:
    try:
        with path.open("rb") as file:
            return ReportSchedules.model_validate(tomllib.load(file))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
        raise RulesError(f"{path.name}: {error}") from error

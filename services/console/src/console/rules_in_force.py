"""The rules the console runs with: the stage SLA policy and the status notification policy its settings name (the
SLAs counted in the shared business calendar), loaded by its bootstrap once at start, so a bad file stops the console
there with the reason."""

import tomllib
from dataclasses import dataclass

from console.domain.notifications import NotificationPolicy
from console.domain.sla import StageSlaPolicy
from console.settings import Settings
from orderdesk_shared.calendar import CALENDAR_CONTEXT, load_business_calendar


@dataclass(frozen=True)
class ConsoleRules:
    slas: StageSlaPolicy
    notifications: NotificationPolicy
    # Where the console's pages are, for the links its mail gives.
    console_url: str


def load_rules(settings: Settings) -> ConsoleRules:
    with settings.stage_slas.open("rb") as file:
        slas = StageSlaPolicy.model_validate(tomllib.load(file), context={CALENDAR_CONTEXT: load_business_calendar()})
    with settings.notifications.open("rb") as file:
        notifications = NotificationPolicy.model_validate(tomllib.load(file))
    return ConsoleRules(slas=slas, notifications=notifications, console_url=settings.public_url.rstrip("/"))

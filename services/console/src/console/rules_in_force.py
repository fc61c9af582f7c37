"""The rules the console runs with: the stage SLA policy its settings name, counted in the shared business calendar,
loaded by its bootstrap once at start, so a bad file stops the console there with the reason."""

import tomllib

from console.domain.sla import StageSlaPolicy
from console.settings import Settings
from orderdesk_shared.calendar import CALENDAR_CONTEXT, load_business_calendar


def load_rules(settings: Settings) -> StageSlaPolicy:
    with settings.stage_slas.open("rb") as file:
        return StageSlaPolicy.model_validate(tomllib.load(file), context={CALENDAR_CONTEXT: load_business_calendar()})

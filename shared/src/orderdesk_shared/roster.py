"""The rep roster's file format: one row per rep. Commission owns the roster; intake seeds itself
with a copy of the same file until commission's roster is announced (roster.published)."""

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orderdesk_shared.events.commission import RosterRep


class RosterRow(BaseModel):
    """rep_id,name,email,team,manager_id,active_from,active_to (empty manager or end date: none)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rep_id: Annotated[str, Field(pattern=r"^rep-\d{3}$")]
    name: Annotated[str, Field(min_length=1)]
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    team: Annotated[str, Field(min_length=1)]
    manager_id: str | None
    active_from: date
    active_to: date | None

    @field_validator("manager_id", "active_to", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _dates_in_order(self) -> "RosterRow":
        if self.active_to is not None and self.active_to < self.active_from:
            raise ValueError("active_to is before active_from")
        return self

    def rep(self) -> RosterRep:
        return RosterRep(**self.model_dump(exclude={"rep_id"}), id=self.rep_id)

"""The rep roster's file format: one row per rep. Commission owns the roster; intake seeds itself
with a copy of the same file until commission's roster is announced (roster.published)."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orderdesk_shared.csv_rows import CsvProblem, csv_problems, read_csv_rows
from orderdesk_shared.events.commission import RosterRep


class RosterRow(BaseModel):
    """rep_id,name,email,team,manager_id,active_from,active_to (empty manager or end date: none)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rep_id: Annotated[str, Field(pattern=r"^rep-\d{3}$")]
    name: Annotated[str, Field(min_length=1)]
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    team: Annotated[str, Field(min_length=1)]
    manager_id: str | None = None
    active_from: date
    active_to: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> "RosterRow":
        if self.active_to is not None and self.active_to < self.active_from:
            raise ValueError("active_to is before active_from")
        return self

    def rep(self) -> RosterRep:
        return RosterRep(**self.model_dump(exclude={"rep_id"}), id=self.rep_id)


def read_roster(text: str) -> tuple[dict[str, RosterRep], list[CsvProblem]]:
    """The reps of a roster file by id, and what is wrong with it: each bad row, a rep listed twice, a manager who
    is not in the roster. Raises UnreadableCsv when its header does not name the columns."""
    rows = read_csv_rows(text, RosterRow)
    problems = csv_problems(rows)
    reps: dict[str, RosterRep] = {}
    lines: dict[str, int] = {}
    for row in rows:
        if row.value is None:
            continue
        if row.value.rep_id in reps:
            problems.append(CsvProblem(field="rep_id", reason=f"{row.value.rep_id} is listed twice", line=row.line))
            continue
        lines[row.value.rep_id] = row.line
        reps[row.value.rep_id] = row.value.rep()
    problems += [
        CsvProblem(field="manager_id", reason=f"{rep.manager_id} is not in the roster", line=lines[rep.id])
        for rep in reps.values()
        if rep.manager_id is not None and rep.manager_id not in reps
    ]
    return reps, sorted(problems, key=lambda problem: problem.line)

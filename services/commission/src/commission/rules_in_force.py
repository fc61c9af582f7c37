"""The rules commission runs with: the plan and the roster its settings name, loaded by its bootstrap once at start,
so a malformed file stops the service there with the file, the line or field, and the reason."""

import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from commission.domain.rules import PlanBook, Roster, Rules, RulesError
from commission.settings import Settings
from orderdesk_shared.csv_rows import UnreadableCsv
from orderdesk_shared.field_problems import described, field_problems
from orderdesk_shared.roster import read_roster


def load_rules(settings: Settings) -> Rules:
    return Rules(plans=load_plan(settings.plan), roster=load_roster(settings.reference))


def load_plan(path: Path) -> PlanBook:
    try:
        with path.open("rb") as file:
            return PlanBook.model_validate(tomllib.load(file))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RulesError(f"{path.name}: {error}") from error
    except ValidationError as error:
        raise RulesError(f"{path.name}: {described(field_problems(error, quoting=True))}") from error


def load_roster(directory: Path) -> Roster:
    """The highest version of `roster.vN.csv` in `directory`, every row and manager checked."""
    versions = {
        int(m[1]): p for p in directory.glob("roster.v*.csv") if (m := re.fullmatch(r"roster\.v(\d+)\.csv", p.name))
    }
    if not versions:
        raise RulesError(f"no roster.vN.csv in {directory.name}/")
    version = max(versions)
    path = versions[version]
    try:
        reps, problems = read_roster(path.read_text(encoding="utf-8"))
    except UnreadableCsv as error:
        raise RulesError(f"{path.name} {error}") from error
    if problems:
        raise RulesError(f"{path.name} {described(problems)}")
    return Roster(version=f"v{version}", reps=reps)

"""Rows of a CSV data file (reference data, rules, an import), each validated into a pydantic model, with every
problem at its line and field.

The header names the columns: every field of the model without a default, in any order, and no other column
unless the model takes extra fields. Cells are stripped of spaces, and an empty cell is left out, so the model's
default (None for an optional value) applies. Lines are counted as a text editor counts them: the header is line 1.
"""

import csv
import io
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from orderdesk_shared.field_problems import FieldProblem, field_problems

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, kw_only=True)
class CsvProblem(FieldProblem):
    line: int

    def __str__(self) -> str:
        return f"line {self.line}, {super().__str__()}" if self.field else f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class CsvRow(Generic[M]):
    line: int
    cells: dict[str, str]  # as written, stripped; without the empty ones
    value: M | None  # None when the row has problems
    problems: list[CsvProblem]


class UnreadableCsv(ValueError):
    """No row can be read: the text is not CSV, or its header does not name the model's columns."""

    def __init__(self, problem: CsvProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_csv_rows(text: str, model: type[M]) -> list[CsvRow[M]]:
    """Every data row of `text`, validated into `model`; a reason quotes the value it refuses."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        _check_header(reader, model)
        return [_row(reader.line_num, raw, model) for raw in reader]
    except csv.Error as error:  # a field past the csv module's size limit
        # The csv module has not yet counted the line it failed on.
        unreadable = CsvProblem(field="", reason=f"not readable as CSV: {error}", line=reader.line_num + 1)
        raise UnreadableCsv(unreadable) from error


def csv_problems(rows: list[CsvRow[M]]) -> list[CsvProblem]:
    return [problem for row in rows for problem in row.problems]


def _check_header(reader: csv.DictReader, model: type[M]) -> None:
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    expected = ",".join(model.model_fields)
    if missing := [name for name in required if name not in header]:
        reason = f"the header lacks the column(s) {', '.join(missing)}; expected {expected}"
    elif model.model_config.get("extra") == "forbid" and (
        unknown := [n for n in header if n not in model.model_fields]
    ):
        reason = f"the header has the column(s) {', '.join(unknown)}, not taken here; expected {expected}"
    else:
        return
    raise UnreadableCsv(CsvProblem(field="", reason=reason, line=1))


def _row(line: int, raw: dict, model: type[M]) -> CsvRow[M]:
    # csv.DictReader keys the values past the header's columns by None and gives None for columns the row lacks.
    cells = {name: value.strip() for name, value in raw.items() if name is not None and value and value.strip()}
    if None in raw:
        return _refused(line, cells, f"the row has more values than the header's {len(raw) - 1} columns")
    if absent := [name for name, value in raw.items() if value is None]:
        return _refused(line, cells, f"the row ends before the column(s) {', '.join(absent)}")
    try:
        return CsvRow(line, cells, model.model_validate(cells), [])
    except ValidationError as error:
        problems = [
            CsvProblem(field=problem.field, reason=problem.reason, line=line)
            for problem in field_problems(error, quoting=True)
        ]
        return CsvRow(line, cells, None, problems)


def _refused(line: int, cells: dict[str, str], reason: str) -> CsvRow:
    return CsvRow(line, cells, None, [CsvProblem(field="", reason=reason, line=line)])

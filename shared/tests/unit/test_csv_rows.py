"""A CSV data file read row by row into a model: every problem at its line and field, the good rows kept."""

from datetime import date
from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, Field

from orderdesk_shared.csv_rows import UnreadableCsv, csv_problems, read_csv_rows
from orderdesk_shared.field_problems import described
from orderdesk_shared.roster import read_roster


class _Price(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(pattern=r"^[A-Z]+$")]
    amount: int
    until: date | None = None


def _problems(text: str) -> list[str]:
    return [str(problem) for problem in csv_problems(read_csv_rows(text, _Price))]


def test_good_rows_are_kept_with_their_lines_and_an_empty_cell_is_the_default():
    rows = read_csv_rows("amount, code ,until\n 12 ,EPL,\n\n7,DIA,2027-01-31\n", _Price)
    assert [(row.line, row.value) for row in rows] == [
        (2, _Price(code="EPL", amount=12)),
        (4, _Price(code="DIA", amount=7, until=date(2027, 1, 31))),
    ]


def test_each_bad_row_is_named_by_line_and_field_with_the_value_refused():
    rows = read_csv_rows("code,amount\nepl,twelve\nDIA,7\nSIP\nVPN,1,2\n", _Price)
    assert [row.line for row in rows if row.value is not None] == [3]
    assert described(csv_problems(rows)) == (
        "line 2, field 'code': String should match pattern '^[A-Z]+$' (got 'epl'); "
        "line 2, field 'amount': Input should be a valid integer, unable to parse string as an integer"
        " (got 'twelve'); "
        "line 4: the row ends before the column(s) amount; "
        "line 5: the row has more values than the header's 2 columns"
    )
    assert rows[0].cells == {"code": "epl", "amount": "twelve"}


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("code", "line 1: the header lacks the column(s) amount; expected code,amount,until"),
        (
            "code,amount,colour",
            "line 1: the header has the column(s) colour, not taken here; expected code,amount,until",
        ),
        ("", "line 1: the header lacks the column(s) code, amount; expected code,amount,until"),
    ],
)
def test_a_header_without_the_models_columns_reads_no_row(header, reason):
    with pytest.raises(UnreadableCsv) as raised:
        read_csv_rows(f"{header}\nEPL,1\n", _Price)
    assert str(raised.value) == reason


def test_text_the_csv_module_cannot_read_is_unreadable_as_a_whole():
    with pytest.raises(UnreadableCsv, match="line 2: not readable as CSV: field larger than field limit"):
        read_csv_rows("code,amount\nEPL," + "1" * 200_000 + "\n", _Price)


ROSTER = "rep_id,name,email,team,manager_id,active_from,active_to\n"


def test_a_roster_names_a_rep_listed_twice_and_a_manager_who_is_not_in_it():
    reps, problems = read_roster(
        ROSTER
        + "rep-001,Ann Lee,ann@telco.example,chicago,,2020-01-06,\n"
        + "rep-002,Bo Yu,bo@telco.example,chicago,rep-009,2021-03-01,\n"
        + "rep-001,Ann Lee,ann@telco.example,chicago,,2020-01-06,\n"
    )
    assert sorted(reps) == ["rep-001", "rep-002"]
    assert reps["rep-001"].manager_id is None
    assert [str(problem) for problem in problems] == [
        "line 3, field 'manager_id': rep-009 is not in the roster",
        "line 4, field 'rep_id': rep-001 is listed twice",
    ]

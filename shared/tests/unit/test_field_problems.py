"""A failed validation read field by field: the same paths and reasons in an HTTP problem and in a message."""

from typing import Annotated

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from orderdesk_shared.field_problems import FieldProblem, described, field_path, field_problems


class _Price(BaseModel):
    id: str
    value: Annotated[int, Field(ge=0)]


class _Offering(BaseModel):
    id: str
    prices: list[_Price]

    @field_validator("id")
    @classmethod
    def _upper_case(cls, value: str) -> str:
        if value != value.upper():
            raise ValueError(f"{value} is not in capitals")
        return value


def _failed(document: object) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        _Offering.model_validate(document)
    return raised.value


def test_each_problem_is_at_its_dotted_path_and_a_validator_speaks_in_its_own_words():
    error = _failed({"id": "epl", "prices": [{"id": "EPL-1", "value": -1}]})
    assert field_problems(error) == [
        FieldProblem("id", "epl is not in capitals"),
        FieldProblem("prices.0.value", "Input should be greater than or equal to 0"),
    ]
    assert described(field_problems(error)) == (
        "field 'id': epl is not in capitals; field 'prices.0.value': Input should be greater than or equal to 0"
    )


def test_given_the_document_a_list_item_is_named_by_its_id_too():
    document = {"id": "EPL", "prices": [{"id": "EPL-1", "value": 1}, {"id": "EPL-2", "value": "lots"}]}
    [problem] = field_problems(_failed(document), document)
    assert problem.field == "prices.1 (EPL-2).value"


def test_a_data_file_s_reason_quotes_the_value_refused():
    [problem] = field_problems(_failed({"id": "EPL", "prices": [{"id": "EPL-1", "value": "lots"}]}), quoting=True)
    assert problem.reason == "Input should be a valid integer, unable to parse string as an integer (got 'lots')"


def test_a_problem_with_the_value_as_a_whole_is_just_its_reason():
    [problem] = field_problems(_failed([]))
    assert (problem.field, str(problem)) == ("", problem.reason)
    assert field_path(()) == ""

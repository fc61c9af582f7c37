"""A policy or reference file in TOML, read into the pydantic model of its shape: a malformed file is an error naming
the file and the field, which stops the service reading it at start."""

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from orderdesk_shared.field_problems import described, field_problems

_Model = TypeVar("_Model", bound=BaseModel)


def read_toml(path: Path, model: type[_Model], *, error: type[ValueError]) -> _Model:
    """The file's document as `model` reads it; raises `error` naming the file and what is wrong where."""
    try:
        return model.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{path.name}: not valid TOML: {problem}") from problem
    except ValidationError as problem:
        raise error(f"{path.name}: {described(field_problems(problem, quoting=True))}") from problem

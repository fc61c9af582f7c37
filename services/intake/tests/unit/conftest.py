"""Intake's handlers in unit tests: an in-memory unit of work, and the context the service decides with (its rules
loaded from the repository's policy and seed files as the service loads them, a fixed clock)."""

from functools import partial

import pytest

from intake.rules_in_force import load_rules, rules_from
from orderdesk_shared.context import ServiceContext

from ..builders import NOW, SEED_RULES, SETTINGS
from .fakes import FakeIntakeUnitOfWork


@pytest.fixture
def context() -> ServiceContext:
    return ServiceContext(rules=load_rules(SETTINGS), clock=lambda: NOW)


@pytest.fixture
def uow() -> FakeIntakeUnitOfWork:
    return FakeIntakeUnitOfWork(partial(rules_from, SEED_RULES))

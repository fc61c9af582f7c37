"""Intake's handlers in unit tests: an in-memory unit of work, and the context the service decides with (its rules
loaded from the repository's policy and seed files as the service loads them, a fixed clock)."""

from datetime import UTC, datetime
from functools import partial

import pytest

from intake.rules_in_force import load_rules, load_seed_rules, rules_from
from intake.settings import Settings
from orderdesk_shared.context import ServiceContext

from .fakes import FakeIntakeUnitOfWork

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
SETTINGS = Settings.model_construct()
SEED_RULES = load_seed_rules(SETTINGS)


@pytest.fixture
def context() -> ServiceContext:
    return ServiceContext(rules=load_rules(SETTINGS), clock=lambda: NOW)


@pytest.fixture
def uow() -> FakeIntakeUnitOfWork:
    return FakeIntakeUnitOfWork(partial(rules_from, SEED_RULES))

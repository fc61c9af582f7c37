"""Every service's migrations build exactly the schema its tables.py describes."""

from collections.abc import Awaitable, Callable

import pytest

from orderdesk_stack.migrations import schema_differences
from orderdesk_stack.services import SERVICES, Service

by_name = pytest.mark.parametrize("service", SERVICES, ids=[service.name for service in SERVICES])


@pytest.mark.integration
@by_name
async def test_the_migrated_schema_is_the_one_the_tables_describe(
    service: Service, service_database: Callable[[str], Awaitable[str]]
) -> None:
    differences = await schema_differences(service, await service_database(service.name))
    assert not differences, f"{service.name}'s migrations at head differ from its tables.py:\n" + "\n".join(
        map(repr, differences)
    )

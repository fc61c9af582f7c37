"""Every service's migrations build exactly the schema its tables.py describes, and stand on their own."""

import ast
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from orderdesk_stack.migrations import schema_differences, write_next_migration
from orderdesk_stack.paths import repo_root
from orderdesk_stack.services import SERVICES, Service, service_named

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


def migration_files(service: Service) -> list[Path]:
    return sorted((repo_root() / service.directory / "migrations" / "versions").glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


@by_name
def test_no_migration_imports_the_projects_live_code(service: Service) -> None:
    """A migration means what it did when it ran: code it imported could change under it."""
    live = ("orderdesk_shared", service.package)
    leaning = [
        f"{path.name} imports {module}"
        for path in migration_files(service)
        for module in sorted(imported_modules(path))
        if module.split(".")[0] in live
    ]
    assert migration_files(service)
    assert not leaning, "\n".join(leaning)


@pytest.mark.integration
def test_the_next_migration_of_a_service_whose_tables_are_migrated_holds_no_operation(
    postgres_admin_url: str, tmp_path: Path
) -> None:
    commission = service_named("commission")
    written = write_next_migration(commission, "nothing new", admin_url=postgres_admin_url, into=tmp_path)

    assert written.parent == tmp_path
    assert written.name == f"{len(migration_files(commission)) + 1:04d}_nothing_new.py"
    functions = {
        node.name: node.body for node in ast.parse(written.read_text()).body if isinstance(node, ast.FunctionDef)
    }
    assert [type(statement) for statement in functions["upgrade"]] == [ast.Pass]
    assert [type(statement) for statement in functions["downgrade"]] == [ast.Pass]

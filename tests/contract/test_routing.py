"""Every service's README tells the truth about what it consumes, emits, serves and stores,
and no event type is a dead end on the bus."""

import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import pytest
from fastapi import APIRouter

from orderdesk_shared.events.catalogue import PRODUCED_OUTSIDE_THE_SERVICES, READ_OUTSIDE_THE_SERVICES
from orderdesk_stack.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def _module(service, name):
    return importlib.import_module(f"{service.package}.{name}")


def _api_parts(service) -> list[str]:
    """The service's modules serving a part of its API of their own: `<part>_api`."""
    package = importlib.util.find_spec(service.package)
    return [
        module.name
        for module in pkgutil.iter_modules(package.submodule_search_locations)
        if module.name.endswith("_api")
    ]


def _section_rows(readme: str, heading: str) -> list[list[str]]:
    """The cells of the table under `## heading` (header and rule rows left out)."""
    section = re.search(rf"^## {re.escape(heading)}.*?$(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert section, f"README has no '## {heading}' section"
    rows = [line.strip().strip("|").split("|") for line in section.group(1).splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row] for row in rows[2:]]


@pytest.fixture(params=SERVICES, ids=lambda service: service.name)
def service(request):
    return request.param


def _readme(service) -> str:
    return (ROOT / service.directory / "README.md").read_text()


def test_readme_consumes_matches_handlers(service):
    handlers = _module(service, "subscriptions").HANDLERS
    declared = {tuple(row[:3]) for row in _section_rows(_readme(service), "Consumes")}
    assert declared == {(model.topic, model.event_type, handler.__name__) for model, handler in handlers.items()}


def test_readme_emits_matches_declared_emits(service):
    emits = _module(service, "subscriptions").EMITS
    declared = {tuple(row[:2]) for row in _section_rows(_readme(service), "Emits")}
    assert declared == {(model.topic, model.event_type) for model in emits}


def test_readme_api_matches_routes(service):
    # A part of a service's API may be served from a module of its own, named `<part>_api` (a TMF hub's, `hub_api`).
    modules = [_module(service, "api")] + [_module(service, name) for name in _api_parts(service)]
    routers = [value for module in modules for value in vars(module).values() if isinstance(value, APIRouter)]
    declared = {(row[0], row[1]) for row in _section_rows(_readme(service), "API")}
    served = {(method, route.path) for router in routers for route in router.routes for method in route.methods}
    assert declared == served


def test_readme_tables_match_schema(service):
    metadata = _module(service, "tables").metadata
    declared = {name.strip() for row in _section_rows(_readme(service), "Tables") for name in row[0].split(",")}
    assert declared == {table.name for table in metadata.tables.values()}


def test_every_emitted_event_type_is_read_by_someone():
    consumed = {model for s in SERVICES for model in _module(s, "subscriptions").HANDLERS}
    emitted = {model for s in SERVICES for model in _module(s, "subscriptions").EMITS}
    dead_ends = emitted - consumed - READ_OUTSIDE_THE_SERVICES.keys()
    assert not dead_ends, f"emitted but read by nobody: {sorted(m.event_type for m in dead_ends)}"


def test_every_consumed_event_type_has_a_producer():
    consumed = {model for s in SERVICES for model in _module(s, "subscriptions").HANDLERS}
    emitted = {model for s in SERVICES for model in _module(s, "subscriptions").EMITS}
    orphans = consumed - emitted - PRODUCED_OUTSIDE_THE_SERVICES.keys()
    assert not orphans, f"consumed but produced by nobody: {sorted(m.event_type for m in orphans)}"

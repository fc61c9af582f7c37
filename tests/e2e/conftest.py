"""Who and what the e2e journeys act through: the services' clients and a person of each role."""

import httpx
import pytest

from orderdesk_shared.auth import Role
from tests.conftest import bearer


@pytest.fixture
async def services(stack):
    clients = {
        name: httpx.AsyncClient(base_url=stack.service_url(name), timeout=30.0)
        for name in ("pricing-approval", "fulfillment-handoff", "commission", "console")
    }
    yield clients
    for client in clients.values():
        await client.aclose()


@pytest.fixture
def people(stack):
    return {
        "rep": bearer(stack, "rep-002", Role.SALES_REP),
        "specialist": bearer(stack, "dana", Role.SPECIALIST),
        "director": bearer(stack, "dex-director", Role.SALES_DIRECTOR),
        "operations": bearer(stack, "olga-ops", Role.OPERATIONS),
        "analyst": bearer(stack, "ana-analyst", Role.COMMISSION_ANALYST),
        "crm": bearer(stack, "crm-integration", Role.CRM_SYSTEM),
        "ivr": bearer(stack, "ivr-platform", Role.IVR_SYSTEM),
    }

"""An order's page shows the client accounts the order carries, as intake answers them to the person looking."""

import uuid
from datetime import UTC, datetime

import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import Stage
from services.console.tests.builders import keep_events
from services.console.tests.integration.conftest import browse_as

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


async def test_the_order_page_shows_the_client_its_service_account_per_site_and_billing_accounts(
    console_app, services, journeys
):
    order_id = f"PO-{uuid.uuid4().hex[:8]}"
    qualified = journeys.every_stage(order_id)[: Stage.QUALIFIED.rank + 1]
    await keep_events(console_app.state.runtime.database, *qualified, start=START)
    site = {"street": "222 W ADAMS ST STE 810", "city": "CHICAGO", "stateOrProvince": "IL", "postcode": "60606"}
    accounts = {
        "clientId": "CL-000007",
        "legalName": "Harbor Point Logistics LLC",
        "taxId": "36-4829105",
        "serviceAccounts": [{"number": "SA-00000008", "site": site, "itemIds": ["1", "2"]}],
        "billingAccounts": [{"number": "8155000000000097", "billingSystem": "CSG"}],
    }
    async with await browse_as(console_app, "dana", Role.SPECIALIST) as dana:
        assert 'id="accounts"' not in (await dana.get(f"/orders/{order_id}")).text
        services.answer("GET", f"/intake/orders/{order_id}/accounts", accounts)
        page = (await dana.get(f"/orders/{order_id}")).text
    assert "Harbor Point Logistics LLC (CL-000007, tax id 36-4829105)" in page
    assert "SA-00000008 at 222 W ADAMS ST STE 810, CHICAGO IL (item 1, 2)" in page
    assert "CSG 8155000000000097" in page
    asked = [call for call in services.calls if call.path == f"/intake/orders/{order_id}/accounts"][-1]
    assert asked.caller == "dana"

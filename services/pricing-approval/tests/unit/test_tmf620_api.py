"""The catalogue read as TMF620 productOffering and productOfferingPrice resources."""

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack.testing import session_token_signer
from pricing_approval.main import create_app
from pricing_approval.settings import Settings

ROOT = "/tmf-api/productCatalogManagement/v4"


@pytest.fixture
async def api():
    # The catalogue API reads no database: an unreachable URL proves it.
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(settings)
    token = session_token_signer().mint("cat-1", [Role.CATALOG_ADMIN])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://pricing", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


async def test_an_offering_lists_its_terms_characteristics_and_price_references(api):
    response = await api.get(f"{ROOT}/productOffering/DIA-FIBER")
    assert response.status_code == 200
    offering = response.json()
    assert (offering["name"], offering["lifecycleStatus"], offering["@baseType"]) == (
        "Dedicated Internet Access over fiber",
        "Active",
        "ProductOffering",
    )
    assert [term["duration"]["amount"] for term in offering["productOfferingTerm"]] == [12, 24, 36, 60]
    [bandwidth] = offering["prodSpecCharValueUse"]
    assert bandwidth["name"] == "bandwidth_mbps"
    gigabit = next(ref for ref in offering["productOfferingPrice"] if ref["id"] == "DIA-FIBER-MRC-1000M")
    assert gigabit["href"] == f"{ROOT}/productOfferingPrice/DIA-FIBER-MRC-1000M"

    price = (await api.get(gigabit["href"])).json()
    assert (price["priceType"], price["recurringChargePeriodType"], price["price"]) == (
        "recurring",
        "month",
        {"unit": "USD", "value": 1850},
    )


async def test_offerings_filter_by_category_and_prices_include_term_discounts(api):
    internet = await api.get(f"{ROOT}/productOffering", params={"category.id": "internet"})
    assert {offering["category"][0]["id"] for offering in internet.json()} == {"internet"}
    assert internet.headers["X-Total-Count"] == str(len(internet.json()))

    prices = (await api.get(f"{ROOT}/productOfferingPrice")).json()
    discounts = [price for price in prices if price["priceType"] == "discount"]
    assert discounts and all(price["productOfferingTerm"] and price["percentage"] > 0 for price in discounts)


async def test_an_unknown_offering_is_a_404_problem_and_a_token_is_required(api):
    missing = await api.get(f"{ROOT}/productOffering/NOPE")
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/json")
    assert (missing.json()["@type"], missing.json()["code"], missing.json()["reason"]) == ("Error", "404", "Not Found")
    assert (await api.get(f"{ROOT}/productOffering", headers={"Authorization": ""})).status_code == 401

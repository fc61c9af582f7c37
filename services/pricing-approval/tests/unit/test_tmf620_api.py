"""The catalogue read as TMF620 resources (catalog, category, productOffering, productOfferingPrice,
productSpecification), conforming to the published specification, with TMF630 list behaviour."""

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.published_specs import TMF620, PublishedSpec
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
    # An absolute URL, as TMF620 gives every href `format: uri`.
    assert gigabit["href"] == f"http://pricing{ROOT}/productOfferingPrice/DIA-FIBER-MRC-1000M"

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


SPEC = PublishedSpec.named(TMF620)
RESOURCES = {
    "catalog": "Catalog",
    "category": "Category",
    "productOffering": "ProductOffering",
    "productOfferingPrice": "ProductOfferingPrice",
    "productSpecification": "ProductSpecification",
}


@pytest.mark.parametrize(("collection", "definition"), RESOURCES.items())
async def test_every_resource_listed_and_read_conforms_to_its_published_definition(api, collection, definition):
    listed = await api.get(f"{ROOT}/{collection}", params={"limit": 500})
    assert listed.status_code == 200, listed.text
    assert listed.json() and listed.headers["X-Total-Count"] == str(len(listed.json()))
    for resource in listed.json():
        assert SPEC.errors(definition, resource) == [], resource["id"]
        read = await api.get(resource["href"])
        assert read.json() == resource
        assert SPEC.errors(definition, read.json()) == []


async def test_every_reference_in_the_catalogue_leads_to_its_resource(api):
    catalog = (await api.get(f"{ROOT}/catalog/orderdesk")).json()
    offerings = (await api.get(f"{ROOT}/productOffering", params={"limit": 500})).json()
    refs = [*catalog["category"]]
    for offering in offerings:
        refs += [*offering["category"], offering["productSpecification"], *offering["productOfferingPrice"]]
    for ref in refs:
        found = await api.get(ref["href"])
        assert (found.status_code, found.json()["id"]) == (200, ref["id"]), ref["href"]
        assert found.json()["@type"].endswith(ref["@referredType"])
    categories = (await api.get(f"{ROOT}/category")).json()
    assert sum(len(category["productOffering"]) for category in categories) == len(offerings)


async def test_a_specification_lists_the_characteristics_an_order_item_may_choose(api):
    specification = (await api.get(f"{ROOT}/productSpecification/DIA-FIBER")).json()
    [bandwidth] = specification["productSpecCharacteristic"]
    assert (bandwidth["name"], bandwidth["valueType"], bandwidth["configurable"]) == ("bandwidth_mbps", "integer", True)
    assert [value["value"] for value in bandwidth["productSpecCharacteristicValue"]] == [100, 250, 500, 1000, 10000]
    assert [value["value"] for value in bandwidth["productSpecCharacteristicValue"] if value["isDefault"]] == [100]


async def test_lists_filter_project_and_page_as_tmf630_says(api):
    discounts = await api.get(f"{ROOT}/productOfferingPrice", params={"priceType": "discount", "fields": "percentage"})
    assert discounts.json() and all(set(price) == {"id", "href", "@type", "percentage"} for price in discounts.json())
    total = int(discounts.headers["X-Total-Count"])

    pages = [
        await api.get(f"{ROOT}/productOfferingPrice", params={"priceType": "discount", "offset": offset, "limit": 5})
        for offset in range(0, total, 5)
    ]
    assert [price["id"] for page in pages for price in page.json()] == [price["id"] for price in discounts.json()]
    assert all(page.headers["X-Total-Count"] == str(total) for page in pages)
    assert [int(page.headers["X-Result-Count"]) for page in pages][-1] == total - 5 * (len(pages) - 1)

    either = await api.get(f"{ROOT}/productOffering", params={"category.id": "internet,voice"})
    assert {offering["category"][0]["id"] for offering in either.json()} == {"internet", "voice"}
    tiered = await api.get(f"{ROOT}/productOfferingPrice", params={"price.value.gte": 1000, "priceType": "recurring"})
    assert tiered.json() and all(price["price"]["value"] >= 1000 for price in tiered.json())
    retired = await api.get(f"{ROOT}/productOffering", params={"lifecycleStatus": "Retired", "fields": "name"})
    assert (retired.status_code, retired.headers["X-Result-Count"]) == (200, str(len(retired.json())))
    nothing = await api.get(f"{ROOT}/productOffering", params={"name": "no such offering"})
    assert (nothing.status_code, nothing.json(), nothing.headers["X-Total-Count"]) == (200, [], "0")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"colour": "red"}, "colour"), ({"fields": "colour"}, "fields"), ({"limit": 0}, "limit")],
)
async def test_what_a_list_cannot_apply_is_a_400_error_naming_the_parameter(api, params, field):
    refused = await api.get(f"{ROOT}/productOffering", params=params)
    assert (refused.status_code, refused.headers["content-type"]) == (400, "application/json")
    assert refused.json()["code"] == "400"
    assert [problem["field"] for problem in refused.json()["invalid_params"]] == [field]


def _documented_operations() -> list[tuple[str, str]]:
    """Every path and method of the published TMF620 that a catalog serves (listeners are the client's)."""
    return [
        (method.upper(), path)
        for path, operations in SPEC.document["paths"].items()
        if not path.startswith("/listener/")
        for method in operations
    ]


@pytest.mark.parametrize(("method", "path"), _documented_operations())
async def test_every_documented_path_and_method_answers_as_the_specification_documents(api, method, path):
    documented = SPEC.document["paths"][path][method.lower()]["responses"]
    existing = {"/catalog/": "orderdesk", "/category/": "internet", "/productOfferingPrice/": "DIA-FIBER-MRC-100M"}.get(
        path.removesuffix("{id}"), "DIA-FIBER"
    )
    concrete = ROOT + path.replace("{id}", existing)
    answer = await api.request(method, concrete, json={} if method in ("POST", "PATCH") else None)
    assert str(answer.status_code) in documented, (answer.status_code, answer.text)
    assert answer.status_code in (200, 404, 405), answer.text
    if answer.status_code == 405:
        assert answer.json()["code"] == "405"
        assert answer.headers["Allow"] == ("" if path.startswith("/hub") else "GET")
    if answer.status_code == 404:  # only a job that does not exist; every other resource read here exists
        assert path in ("/importJob/{id}", "/exportJob/{id}"), path

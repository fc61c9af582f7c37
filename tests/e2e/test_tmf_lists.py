"""TMF630 list behaviour on the live stack, as a TMF client sees it: fields= projection, attribute filters (in
SQL and beyond it), paging with X-Total-Count/X-Result-Count, 400 naming what cannot be applied, TMF Error 404s
and 405s for documented methods OrderDesk does not offer."""

import secrets

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

CANCEL_PATH = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"
CHECK_PATH = "/tmf-api/serviceQualificationManagement/v4/checkServiceQualification"
QUERY_PATH = "/tmf-api/serviceQualificationManagement/v4/queryServiceQualification"
CATALOG_ROOT = "/tmf-api/productCatalogManagement/v4"


def _order_body(seed: int, *, valid: bool) -> dict:
    [order] = generate_orders(1, seed=seed, invalid_share=0.0 if valid else 1.0)
    return order.body


def _counts(response: httpx.Response) -> tuple[int, int]:
    return int(response.headers["X-Total-Count"]), int(response.headers["X-Result-Count"])


def _assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["@type"], body["code"], body["status"]) == ("Error", str(status), str(status))
    return body


@pytest.fixture
async def rep(stack) -> dict:
    """A sales rep of their own: they list only the orders and checks they placed here."""
    return bearer(stack, f"rep-tmf630-{secrets.token_hex(3)}", Role.SALES_REP)


async def _place(intake: httpx.AsyncClient, rep: dict, body: dict) -> dict:
    created = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)
    assert created.status_code == 201, created.text
    return created.json()


async def test_an_order_list_filters_in_sql_and_beyond_pages_and_projects(stack, intake, rep):
    first = await _place(intake, rep, _order_body(6301, valid=False))
    second = await _place(intake, rep, _order_body(6302, valid=True))
    third = await _place(intake, rep, _order_body(6303, valid=False))
    assert first["state"] == third["state"] == "rejected"

    everything = await intake.get(PRODUCT_ORDER_PATH, headers=rep)
    assert [order["id"] for order in everything.json()] == [third["id"], second["id"], first["id"]]
    assert _counts(everything) == (3, 3)

    rejected = await intake.get(PRODUCT_ORDER_PATH, params={"state": "rejected", "fields": "state"}, headers=rep)
    assert [order["id"] for order in rejected.json()] == [third["id"], first["id"]]
    assert all(set(order) == {"id", "href", "@type", "state"} for order in rejected.json())

    # orderDate.gt is not one of the SQL filters: the orders after the first, newest first, a page of one.
    after_first = {"orderDate.gt": first["orderDate"], "offset": 1, "limit": 1}
    page = await intake.get(PRODUCT_ORDER_PATH, params=after_first, headers=rep)
    assert ([order["id"] for order in page.json()], _counts(page)) == ([second["id"]], (2, 1))

    offering = second["productOrderItem"][0]["productOffering"]["id"]
    by_item = await intake.get(
        PRODUCT_ORDER_PATH, params={"productOrderItem.productOffering.id": offering}, headers=rep
    )
    assert second["id"] in [order["id"] for order in by_item.json()]
    assert all(
        offering in {item["productOffering"]["id"] for item in order["productOrderItem"]} for order in by_item.json()
    )
    both = await intake.get(
        PRODUCT_ORDER_PATH, params={"state": "rejected", "orderDate.gt": first["orderDate"]}, headers=rep
    )
    assert ([order["id"] for order in both.json()], _counts(both)) == ([third["id"]], (1, 1))

    nothing = await intake.get(PRODUCT_ORDER_PATH, params={"productOrderItem.state": "no-such-state"}, headers=rep)
    assert (nothing.status_code, nothing.json(), _counts(nothing)) == (200, [], (0, 0))

    read = await intake.get(f"{PRODUCT_ORDER_PATH}/{second['id']}", params={"fields": "orderDate"}, headers=rep)
    assert read.json() == {
        "id": second["id"],
        "href": second["href"],
        "@type": second["@type"],
        "orderDate": second["orderDate"],
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"productOrderItem.colour.gt": "yesterday"}, "productOrderItem.colour.gt"),
        ({"fields": "state,colour"}, "fields"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"state": "nonsense"}, "state"),
    ],
)
async def test_what_an_order_list_cannot_apply_is_a_400_error_naming_the_parameter(stack, intake, rep, params, field):
    body = _assert_error(await intake.get(PRODUCT_ORDER_PATH, params=params, headers=rep), 400)
    assert [problem["field"] for problem in body["invalid_params"]] == [field]


async def test_missing_resources_are_404_errors_and_deleting_an_order_is_not_offered(stack, intake, rep):
    missing = _assert_error(await intake.get(f"{PRODUCT_ORDER_PATH}/PO-NOT-THERE", headers=rep), 404)
    assert "PO-NOT-THERE" in missing["message"]
    _assert_error(await intake.get(f"{CANCEL_PATH}/CPO-NOT-THERE", headers=rep), 404)

    order = await _place(intake, rep, _order_body(6304, valid=False))
    deleted = await intake.delete(f"{PRODUCT_ORDER_PATH}/{order['id']}", headers=rep)
    _assert_error(deleted, 405)
    assert "DELETE" not in deleted.headers["Allow"].split(", ")
    assert {"GET", "PATCH"} <= set(deleted.headers["Allow"].split(", "))
    assert (await intake.get(f"{PRODUCT_ORDER_PATH}/{order['id']}", headers=rep)).status_code == 200


async def test_a_cancellation_list_filters_and_projects(stack, intake, rep):
    order = await _place(intake, rep, _order_body(6305, valid=True))
    cancel = {"productOrder": {"id": order["id"]}, "cancellationReason": "the customer chose another provider"}
    cancelled = await intake.post(CANCEL_PATH, json=cancel, headers=rep)
    assert cancelled.status_code == 201, cancelled.text
    state = cancelled.json()["state"]

    listed = await intake.get(
        CANCEL_PATH, params={"productOrder.id": order["id"], "state": state, "fields": "state"}, headers=rep
    )
    assert listed.json() == [
        {"id": cancelled.json()["id"], "href": cancelled.json()["href"], "@type": "CancelProductOrder", "state": state}
    ]
    assert _counts(listed) == (1, 1)
    other_state = await intake.get(CANCEL_PATH, params={"state": "no-such-state"}, headers=rep)
    assert (other_state.json(), _counts(other_state)) == ([], (0, 0))
    _assert_error(await intake.get(CANCEL_PATH, params={"colour": "red"}, headers=rep), 400)


async def test_checks_and_queries_are_listed_filtered_and_projected_and_not_changed(stack, rep):
    on_net = {"role": "installationPlace", "streetNr": "233", "streetName": "S Wacker Dr", "city": "Chicago",
              "stateOrProvince": "IL", "postcode": "60606", "@type": "GeographicAddress"}  # fmt: skip
    async with httpx.AsyncClient(base_url=stack.service_url("serviceability"), timeout=30.0) as api:
        answered = []
        for offering in ("DIA-FIBER", "CLOUD-IAAS"):
            body = {"serviceQualificationItem": [{"id": "1", "service": {"serviceSpecification": {"id": offering},
                                                                        "place": [on_net]}}]}  # fmt: skip
            check = await api.post(CHECK_PATH, json=body, headers=rep)
            assert check.status_code == 201, check.text
            answered.append(check.json())
        fiber, cloud = answered

        mine = await api.get(CHECK_PATH, headers=rep)
        assert ([check["id"] for check in mine.json()], _counts(mine)) == ([cloud["id"], fiber["id"]], (2, 2))
        by_spec = await api.get(
            CHECK_PATH,
            params={"serviceQualificationItem.service.serviceSpecification.id": "DIA-FIBER", "fields": "state"},
            headers=rep,
        )
        assert by_spec.json() == [{"id": fiber["id"], "href": fiber["href"], "@type": fiber["@type"], "state": "done"}]
        assert _counts(by_spec) == (1, 1)
        result = fiber["qualificationResult"]
        by_result = await api.get(CHECK_PATH, params={"qualificationResult": result, "limit": 1}, headers=rep)
        assert all(check["qualificationResult"] == result for check in by_result.json())
        read = await api.get(f"{CHECK_PATH}/{fiber['id']}", params={"fields": "qualificationResult"}, headers=rep)
        assert set(read.json()) == {"id", "href", "@type", "qualificationResult"}

        _assert_error(await api.get(CHECK_PATH, params={"colour": "red"}, headers=rep), 400)
        _assert_error(await api.get(f"{CHECK_PATH}/no-such-check", headers=rep), 404)
        patched = await api.patch(f"{CHECK_PATH}/{fiber['id']}", json={}, headers=rep)
        assert _assert_error(patched, 405) and patched.headers["Allow"] == "GET"

        query = await api.post(QUERY_PATH, json={"searchCriteria": {"service": {"place": [on_net]}}}, headers=rep)
        assert query.status_code == 201, query.text
        queries = await api.get(QUERY_PATH, params={"fields": "state"}, headers=rep)
        queried = query.json()
        assert queries.json() == [{name: queried[name] for name in ("id", "href", "@type", "state")}]
        assert _counts(queries) == (1, 1)
        deleted = await api.delete(f"{QUERY_PATH}/{queried['id']}", headers=rep)
        assert _assert_error(deleted, 405) and deleted.headers["Allow"] == "GET"


async def test_the_catalogue_is_served_as_tmf620_on_the_stack(stack, rep):
    async with httpx.AsyncClient(base_url=stack.service_url("pricing-approval"), timeout=30.0) as api:
        categories = await api.get(f"{CATALOG_ROOT}/category", params={"fields": "name"}, headers=rep)
        assert categories.status_code == 200 and categories.json()
        assert _counts(categories) == (len(categories.json()), len(categories.json()))
        created = await api.post(f"{CATALOG_ROOT}/productOffering", json={"name": "x"}, headers=rep)
        assert _assert_error(created, 405) and created.headers["Allow"] == "GET"

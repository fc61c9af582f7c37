"""TMF630 list behaviour: projection, attribute filters (OR, dotted paths, ordering operators), paging and the
refusal of what cannot be applied."""

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Response

from orderdesk_shared.problems import install_problem_handlers
from orderdesk_shared.tmf630 import InvalidQuery, ListQuery, fields_query, list_query, parse_conditions, parse_fields

ATTRIBUTES = {"id", "href", "@type", "state", "orderDate", "productOrderItem", "priority", "isBundle", "quantity"}


def order(number: int, state: str, order_date: str, *item_states: str, **more) -> dict:
    return {
        "id": f"PO-{number}",
        "href": f"/tmf-api/productOrderingManagement/v4/productOrder/PO-{number}",
        "@type": "ProductOrder",
        "state": state,
        "orderDate": order_date,
        "productOrderItem": [{"id": str(n), "state": s} for n, s in enumerate(item_states, 1)],
        **more,
    }


ORDERS = [
    order(1, "acknowledged", "2026-12-01T09:00:00+00:00", "acknowledged", priority="1", isBundle=False, quantity=2),
    order(2, "inProgress", "2026-12-02T09:00:00Z", "completed", "inProgress", priority="2", isBundle=True, quantity=5),
    order(3, "completed", "2026-12-03T15:30:00-06:00", "completed"),
    order(4, "held", "2026-12-04T09:00:00", "held"),
]


def ids(query: ListQuery) -> list[str]:
    return [resource["id"] for resource in query.matching(ORDERS)]


def where(*parameters: tuple[str, str]) -> ListQuery:
    return ListQuery(conditions=parse_conditions(parameters, attributes=ATTRIBUTES))


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ((("state", "acknowledged"),), ["PO-1"]),
        ((("state", "acknowledged,held"),), ["PO-1", "PO-4"]),
        ((("state", "acknowledged, held , "),), ["PO-1", "PO-4"]),
        ((("state", "cancelled"),), []),
        ((("productOrderItem.state", "completed"),), ["PO-2", "PO-3"]),
        ((("productOrderItem.state", "completed"), ("state", "completed")), ["PO-3"]),
        ((("productOrderItem.id", "2"),), ["PO-2"]),
        ((("productOrderItem.nothing", "x"),), []),
        ((("orderDate.gte", "2026-12-02T09:00:00Z"),), ["PO-2", "PO-3", "PO-4"]),
        ((("orderDate.gt", "2026-12-02T09:00:00Z"),), ["PO-3", "PO-4"]),
        ((("orderDate.lt", "2026-12-02T09:00:00+00:00"),), ["PO-1"]),
        ((("orderDate.lte", "2026-12-02"),), ["PO-1"]),
        # 15:30 at -06:00 is 21:30 UTC; an offset-less time is UTC.
        ((("orderDate.gt", "2026-12-03T21:00:00Z"), ("orderDate.lt", "2026-12-04T09:00:01Z")), ["PO-3", "PO-4"]),
        ((("quantity.gt", "2"),), ["PO-2"]),
        ((("quantity", "5.0"),), ["PO-2"]),
        ((("isBundle", "true"),), ["PO-2"]),
        ((("isBundle", "false"),), ["PO-1"]),
        ((("priority", "1,2"),), ["PO-1", "PO-2"]),
    ],
)
def test_filters_select_what_a_tmf_client_asks_for(parameters, expected):
    assert ids(where(*parameters)) == expected


@pytest.mark.parametrize(
    ("parameter", "value", "reason"),
    [
        ("colour", "red", "this resource has no attribute colour"),
        ("colour.gt", "3", "this resource has no attribute colour"),
        ("state", "", "needs a value"),
        ("state", " , ", "needs a value"),
        ("orderDate.gte", "yesterday", "compares date-times or numbers"),
        ("productOrderItem..state", "x", "is not an attribute path"),
        ("state", ",".join(["x"] * 51), "more than 50 values"),
    ],
)
def test_a_filter_that_cannot_be_applied_is_refused_naming_the_parameter(parameter, value, reason):
    with pytest.raises(InvalidQuery) as refused:
        parse_conditions([(parameter, value)], attributes=ATTRIBUTES)
    [(named, why)] = refused.value.problems
    assert named == parameter and reason in why


def test_every_bad_filter_is_reported_at_once():
    with pytest.raises(InvalidQuery) as refused:
        parse_conditions([("colour", "red"), ("state", "held"), ("size", "L")], attributes=ATTRIBUTES)
    assert [named for named, _ in refused.value.problems] == ["colour", "size"]


def test_fields_keep_the_named_attributes_and_always_id_href_and_type():
    query = ListQuery(fields=parse_fields("state, orderDate", attributes=ATTRIBUTES))
    assert query.project(ORDERS[0]) == {
        "id": "PO-1",
        "href": ORDERS[0]["href"],
        "@type": "ProductOrder",
        "state": "acknowledged",
        "orderDate": "2026-12-01T09:00:00+00:00",
    }
    assert ListQuery().project(ORDERS[0]) == ORDERS[0]
    assert parse_fields("id", attributes=ATTRIBUTES) == {"id"}


@pytest.mark.parametrize("text", ["colour", "state,colour", "productOrderItem.state", ",", ""])
def test_fields_naming_no_attribute_of_the_resource_are_refused(text):
    with pytest.raises(InvalidQuery) as refused:
        parse_fields(text, attributes=ATTRIBUTES)
    assert refused.value.problems[0][0] == "fields"


def test_a_page_counts_every_match_and_the_rows_on_it():
    response = Response()
    page = ListQuery(conditions=where(("state", "acknowledged,inProgress,held")).conditions, offset=1, limit=1).answer(
        ORDERS, response
    )
    assert [resource["id"] for resource in page] == ["PO-2"]
    assert (response.headers["X-Total-Count"], response.headers["X-Result-Count"]) == ("3", "1")

    beyond = Response()
    assert ListQuery(offset=10).answer(ORDERS, beyond) == []
    assert (beyond.headers["X-Total-Count"], beyond.headers["X-Result-Count"]) == ("4", "0")


ROOT = "/tmf-api/test/v4/productOrder"


def app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get(ROOT)
    async def listed(
        query: Annotated[ListQuery, Depends(list_query(attributes=ATTRIBUTES, handled={"externalId"}))],
        response: Response,
    ) -> list[dict]:
        return query.answer(ORDERS, response)

    @app.get(ROOT + "/{order_id}")
    async def read(
        order_id: str, fields: Annotated[frozenset[str] | None, Depends(fields_query(attributes=ATTRIBUTES))]
    ) -> dict:
        [found] = [resource for resource in ORDERS if resource["id"] == order_id]
        return ListQuery(fields=fields).project(found)

    return app


async def get(path: str, **params) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://test") as http:
        return await http.get(path, params=params)


async def test_a_tmf_list_route_filters_pages_and_projects():
    response = await get(ROOT, state="acknowledged,completed", fields="state", limit="1", externalId="ignored")
    assert response.status_code == 200, response.text
    [only] = response.json()
    assert only == {"id": "PO-1", "href": ORDERS[0]["href"], "@type": "ProductOrder", "state": "acknowledged"}
    assert (response.headers["x-total-count"], response.headers["x-result-count"]) == ("2", "1")
    nothing = await get(ROOT, state="cancelled")
    assert (nothing.status_code, nothing.json(), nothing.headers["x-total-count"]) == (200, [], "0")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"fields": "colour"}, "fields"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "many"}, "offset"),
    ],
)
async def test_a_tmf_list_route_refuses_what_it_cannot_apply_with_400_at_the_parameter(params, field):
    response = await get(ROOT, **params)
    assert response.status_code == 400, response.text
    assert [problem["field"] for problem in response.json()["invalid_params"]] == [field]


async def test_a_read_by_id_projects_too():
    response = await get(f"{ROOT}/PO-2", fields="state")
    assert response.json() == {"id": "PO-2", "href": ORDERS[1]["href"], "@type": "ProductOrder", "state": "inProgress"}
    assert (await get(f"{ROOT}/PO-2", fields="colour")).status_code == 400


def test_a_jsonb_store_decides_every_filter_but_an_ordering_of_date_times():
    query = ListQuery(
        conditions=where(
            ("state", "held,acknowledged"), ("orderDate.gt", "2026-12-02"), ("quantity.lt", "3")
        ).conditions,
        fields=frozenset({"state"}),
        limit=7,
    )
    decided, rest = query.split_for_jsonb()
    assert decided == (
        ('$ ."state" ? (@ == $v0 || @ == $v1)', {"v0": "held", "v1": "acknowledged"}),
        ('$ ."quantity" ? (@ < $bound)', {"bound": 3}),
    )
    assert [condition.parameter for condition in rest.conditions] == ["orderDate.gt"]
    assert (rest.fields, rest.limit) == (query.fields, 7)

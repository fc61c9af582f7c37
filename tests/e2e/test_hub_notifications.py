"""TMF hub notifications on the running stack, received by real HTTP listeners in this process: what a CRM's
listener hears of its order, a listener away for a minute, query filters, unregistering, signatures, refusals,
TMF645, and the dead letter an SRE sees when a listener never takes a notification."""

import asyncio
import json
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from aiohttp import web

from orderdesk_shared.auth import Role
from orderdesk_shared.notifications import EVENT_ID_HEADER, SIGNATURE_HEADER, signature_holds
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer
from tests.e2e.order_journeys import gigabit_internet_order

pytestmark = pytest.mark.e2e

TMF622 = PRODUCT_ORDER_PATH.rsplit("/", 1)[0]
TMF645 = "/tmf-api/serviceQualificationManagement/v4"
SECRET = "a-listener-secret-" + secrets.token_hex(8)
# Dedicated Internet at 1 Gbps for 36 months lists at $1,665.00 a month: 5% off needs no approval.
NET_MRC = Decimal("1665.00") * Decimal("0.95")


@dataclass
class Listener:
    """A TMF listener: an HTTP server on a port of its own, keeping every notification POSTed to it."""

    status: int = 201
    port: int = field(default_factory=lambda: _free_port())
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    @property
    def callback(self) -> str:
        return f"http://127.0.0.1:{self.port}/listener"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/listener", self._take)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _take(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=self.status)

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]

    def about(self, resource_id: str) -> list[dict]:
        return [event for event in self.events() if _resource(event).get("id") == resource_id]


async def _now(read, *args):
    """What `read(*args)` gives now, for `eventually`, which awaits what it reads."""
    return read(*args)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _resource(event: dict) -> dict:
    [resource] = event["event"].values()
    return resource


def _seen(events: list[dict]) -> list[tuple[str, str]]:
    return [(event["eventType"], _resource(event)["state"]) for event in events]


@pytest.fixture
async def listener():
    started = Listener()
    await started.start()
    yield started
    await started.stop()


@pytest.fixture
async def clients(stack):
    names = ("serviceability", "fulfillment-handoff")
    opened = {name: httpx.AsyncClient(base_url=stack.service_url(name), timeout=30.0) for name in names}
    yield opened
    for client in opened.values():
        await client.aclose()


@pytest.fixture
async def hub():
    """Registers listeners, and unregisters those still registered when the test ends (the stack is shared)."""
    registered: list[tuple[httpx.AsyncClient, str, dict]] = []

    async def register(client, api: str, headers: dict, callback: str, **extra) -> dict:
        answer = await client.post(f"{api}/hub", json={"callback": callback} | extra, headers=headers)
        assert answer.status_code == 201, answer.text
        location = f"{api}/hub/{answer.json()['id']}"
        assert answer.headers["Location"] == location
        registered.append((client, location, headers))
        return answer.json()

    yield register
    for client, location, headers in registered:
        assert (await client.delete(location, headers=headers)).status_code in (204, 404)


def _opportunity(*, seed: int, version: int, splits: list[dict]) -> dict:
    """A won CRM opportunity for 1 Gbps Internet at 5% off list, for a new customer at an on-net site."""
    body = next(
        order.body for order in generate_orders(40, seed=seed, invalid_share=0.0) if order.body["orderType"] == "new"
    )
    customer = next(party for party in body["relatedParty"] if party["role"] == "customer")
    billing, [site] = customer["billingAddress"], body["productOrderItem"][0]["product"]["place"]
    [agreement] = body["agreement"]
    return {
        "opportunityId": f"006HUB{seed}{secrets.token_hex(4)}"[:18],
        "version": version,
        "orderType": "new",
        "account": {"name": customer["name"], "taxId": customer["taxId"], "billingAddress": _crm_address(billing)},
        "contacts": [{"name": "Priya Raman", "email": "praman@example.com", "phone": "+1 312 464 0190"}],
        "splits": splits,
        "contractId": agreement["id"],
        "termMonths": agreement["termMonths"],
        "signedDate": agreement["signedDate"],
        "lineItems": [
            {
                "lineId": "1",
                "productCode": "DIA-FIBER",
                "characteristics": {"bandwidth_mbps": 1000},
                "site": {"address": _crm_address(site)},
                "monthlyPrice": float(NET_MRC),
                "oneTimePrice": 1500,
                "termMonths": 36,
            }
        ],
    }


def _crm_address(place: dict) -> dict:
    street = " ".join(part for part in (place.get("streetNr"), place["streetName"]) if part)
    return {"street": street, "city": place["city"], "state": place["stateOrProvince"], "postalCode": place["postcode"]}


async def test_a_crm_listener_hears_its_order_rejected_corrected_and_completed_in_order_once_each(
    stack, intake, clients, listener, hub
):
    crm = bearer(stack, "crm-integration", Role.CRM_SYSTEM)
    specialist, operations = bearer(stack, "dana", Role.SPECIALIST), bearer(stack, "olga-ops", Role.OPERATIONS)
    registered = await hub(intake, TMF622, crm, listener.callback, secret=SECRET)
    assert registered == {"id": registered["id"], "callback": listener.callback, "query": None}

    # The splits add up to 90%: the order is stored rejected, with findings; the CRM's next version corrects it.
    short = [{"repId": "rep-021", "percent": 60}, {"repId": "rep-002", "percent": 30}]
    first = _opportunity(seed=1801, version=1, splits=short)
    rejected = await intake.post("/intake/crm/opportunities", json=first, headers=crm)
    assert (rejected.status_code, rejected.json()["state"]) == (201, "rejected"), rejected.text
    order_id = rejected.json()["id"]
    fixed = first | {"version": 2, "splits": [{"repId": "rep-021", "percent": 60}, {"repId": "rep-002", "percent": 40}]}
    corrected = await intake.post("/intake/crm/opportunities", json=fixed, headers=crm)
    assert (corrected.json()["id"], corrected.json()["state"]) == (order_id, "inProgress"), corrected.text

    await eventually(
        lambda: intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=specialist),
        lambda response: response.json()["stage"] == "ratified",
    )
    today = str(datetime.now(UTC).date())
    for status, details in (("accepted", {}), ("installed", {"effectiveDate": today})):
        reported = await clients["fulfillment-handoff"].post(
            f"/fulfillment/orders/{order_id}/operations-reports",
            json={"status": status, **details},
            headers=operations,
        )
        assert reported.status_code == 202, reported.text

    heard = await eventually(
        lambda: _now(listener.about, order_id),
        lambda events: ("ProductOrderStateChangeEvent", "completed") in _seen(events),
    )
    assert _seen(heard) == [
        ("ProductOrderCreateEvent", "rejected"),
        ("ProductOrderInformationRequiredEvent", "rejected"),
        ("ProductOrderAttributeValueChangeEvent", "inProgress"),
        ("ProductOrderStateChangeEvent", "inProgress"),
        ("ProductOrderStateChangeEvent", "completed"),
    ]
    information_required = heard[1]
    findings = _resource(information_required)["findings"]
    assert findings and information_required["fieldPath"] == ",".join(
        dict.fromkeys(finding["fieldPath"] for finding in findings if "fieldPath" in finding)
    )
    assert "relatedParty" in heard[2]["fieldPath"].split(",")
    assert _resource(heard[-1])["completionDate"].startswith(today)
    # Each event once, each with its own id, and every notification signed with the registrant's secret.
    assert len({event["eventId"] for event in heard}) == len(heard)
    for headers, body in listener.received:
        assert signature_holds(SECRET, body, headers.get(SIGNATURE_HEADER))
        assert headers[EVENT_ID_HEADER] == json.loads(body)["eventId"]
    # The CRM hears of the orders that came through it, and of no other.
    assert {_resource(event)["channel"][0]["name"] for event in listener.events()} == {"crm"}


async def test_a_cancel_after_the_hand_off_is_heard_asked_waiting_for_operations_and_done(
    stack, intake, clients, listener, hub
):
    rep = bearer(stack, f"rep-hub-{secrets.token_hex(3)}", Role.SALES_REP)
    operations = bearer(stack, "olga-ops", Role.OPERATIONS)
    await hub(intake, TMF622, rep, listener.callback)
    created = await intake.post(
        PRODUCT_ORDER_PATH, json=gigabit_internet_order(discount_percent=5, seed=1805), headers=rep
    )
    order_id = created.json()["id"]
    await eventually(
        lambda: intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=rep),
        lambda response: response.json()["stage"] == "ratified",
    )
    cancel = {"productOrder": {"id": order_id}, "cancellationReason": "the site was sold"}
    requested = await intake.post(f"{TMF622}/cancelProductOrder", json=cancel, headers=rep)
    assert requested.json()["state"] == "inProgress", requested.text
    await eventually(lambda: _now(listener.about, order_id), lambda events: len(events) == 3)
    stopped = await clients["fulfillment-handoff"].post(
        f"/fulfillment/orders/{order_id}/operations-reports", json={"status": "cancelled"}, headers=operations
    )
    assert stopped.status_code == 202, stopped.text

    done = await eventually(lambda: _now(listener.about, requested.json()["id"]), lambda events: len(events) == 2)
    assert [(event["eventType"], _resource(event)["state"]) for event in done] == [
        ("CancelProductOrderCreateEvent", "inProgress"),
        ("CancelProductOrderStateChangeEvent", "done"),
    ]
    heard = await eventually(lambda: _now(listener.about, order_id), lambda events: len(events) == 4)
    assert _seen(heard) == [
        ("ProductOrderCreateEvent", "inProgress"),
        ("ProductOrderStateChangeEvent", "assessingCancellation"),
        ("ProductOrderStateChangeEvent", "pendingCancellation"),
        ("ProductOrderStateChangeEvent", "cancelled"),
    ]


async def test_a_listener_away_for_a_minute_hears_everything_in_order_once_it_is_back(stack, intake, listener, hub):
    rep = bearer(stack, f"rep-hub-{secrets.token_hex(3)}", Role.SALES_REP)
    await hub(intake, TMF622, rep, listener.callback)
    await listener.stop()

    [order] = generate_orders(1, seed=1802, invalid_share=1.0)
    rejected = (await intake.post(PRODUCT_ORDER_PATH, json=order.body, headers=rep)).json()
    cancel = {"productOrder": {"id": rejected["id"]}, "cancellationReason": "the customer went elsewhere"}
    cancelled = await intake.post(f"{TMF622}/cancelProductOrder", json=cancel, headers=rep)
    assert cancelled.status_code == 201, cancelled.text
    await asyncio.sleep(60)
    assert listener.received == []

    await listener.start()
    heard = await eventually(lambda: _now(listener.events), lambda events: len(events) >= 4, timeout=60)
    assert [(event["eventType"], _resource(event)["id"]) for event in heard] == [
        ("ProductOrderCreateEvent", rejected["id"]),
        ("ProductOrderInformationRequiredEvent", rejected["id"]),
        ("CancelProductOrderCreateEvent", cancelled.json()["id"]),
        ("ProductOrderStateChangeEvent", rejected["id"]),
    ]
    assert _resource(heard[2])["productOrder"]["id"] == rejected["id"]
    assert _resource(heard[3])["state"] == "cancelled"


async def test_a_query_selects_what_a_listener_hears_and_an_unregistered_one_hears_nothing_more(stack, intake, hub):
    rep = bearer(stack, f"rep-hub-{secrets.token_hex(3)}", Role.SALES_REP)
    selective, everything = Listener(), Listener()
    for started in (selective, everything):
        await started.start()
    try:
        query = "eventType=ProductOrderStateChangeEvent&event.productOrder.state=cancelled"
        chosen = await hub(intake, TMF622, rep, selective.callback, query=query)
        assert chosen["query"] == query and "secret" in chosen  # a secret made here, returned this once
        await hub(intake, TMF622, rep, everything.callback)

        first = await _cancelled_order(intake, rep, seed=1803)
        heard = await eventually(lambda: _now(everything.about, first), lambda events: len(events) == 2)
        assert _seen(heard) == [
            ("ProductOrderCreateEvent", "inProgress"),
            ("ProductOrderStateChangeEvent", "cancelled"),
        ]
        assert _seen(selective.events()) == [("ProductOrderStateChangeEvent", "cancelled")]
        assert _resource(selective.events()[0])["id"] == first

        assert (await intake.delete(f"{TMF622}/hub/{chosen['id']}", headers=rep)).status_code == 204
        assert (await intake.delete(f"{TMF622}/hub/{chosen['id']}", headers=rep)).status_code == 404
        second = await _cancelled_order(intake, rep, seed=1804)
        await eventually(lambda: _now(everything.about, second), lambda events: len(events) == 2)
        assert [_resource(event)["id"] for event in selective.events()] == [first]
    finally:
        for started in (selective, everything):
            await started.stop()


async def _cancelled_order(intake, rep: dict, *, seed: int) -> str:
    """An order the rep submits valid and cancels at once: created, then cancelled."""
    [order] = generate_orders(1, seed=seed, invalid_share=0.0)
    created = (await intake.post(PRODUCT_ORDER_PATH, json=order.body, headers=rep)).json()
    cancel = {"productOrder": {"id": created["id"]}, "cancellationReason": "a test of the hub"}
    assert (await intake.post(f"{TMF622}/cancelProductOrder", json=cancel, headers=rep)).status_code == 201
    return created["id"]


@pytest.mark.parametrize(
    ("registration", "field_at_fault"),
    [
        ({"callback": "ftp://127.0.0.1/listener"}, "callback"),
        ({"callback": "http://169.254.169.254/latest/meta-data/"}, "callback"),
        ({"callback": "http://metadata.google.internal/"}, "callback"),
        ({"callback": "http://127.0.0.1:9/", "query": "eventType=ProductOrderDeleteEvent"}, "query"),
        ({"callback": "http://127.0.0.1:9/", "secret": "short"}, "secret"),
        ({"query": "eventType=ProductOrderCreateEvent"}, "callback"),
    ],
)
async def test_a_registration_the_hub_cannot_take_is_refused_with_the_field_at_fault(
    stack, intake, registration, field_at_fault
):
    refused = await intake.post(f"{TMF622}/hub", json=registration, headers=bearer(stack, "dana", Role.SPECIALIST))
    assert (refused.status_code, refused.headers["content-type"]) == (400, "application/json"), refused.text
    assert (refused.json()["@type"], refused.json()["status"]) == ("Error", "400")
    assert [problem["field"] for problem in refused.json()["invalid_params"]] == [field_at_fault]


async def test_only_readers_of_orders_register_and_only_the_registrant_unregisters(stack, intake, hub):
    callback = {"callback": "http://127.0.0.1:9/listener"}
    assert (await intake.post(f"{TMF622}/hub", json=callback)).status_code == 401
    ivr = bearer(stack, "ivr-platform", Role.IVR_SYSTEM)
    assert (await intake.post(f"{TMF622}/hub", json=callback, headers=ivr)).status_code == 403
    mine = await hub(intake, TMF622, bearer(stack, "dana", Role.SPECIALIST), callback["callback"])
    someone_else = bearer(stack, "sam", Role.SPECIALIST)
    not_theirs = await intake.delete(f"{TMF622}/hub/{mine['id']}", headers=someone_else)
    assert (not_theirs.status_code, not_theirs.json()["@type"]) == (404, "Error")


async def test_a_tmf645_listener_hears_each_check_and_one_that_never_takes_it_is_dead_lettered(
    stack, clients, listener, hub
):
    serviceability = clients["serviceability"]
    rep = bearer(stack, f"rep-hub-{secrets.token_hex(3)}", Role.SALES_REP)
    failing = Listener(status=500)
    await failing.start()
    try:
        await hub(serviceability, TMF645, rep, listener.callback)
        await hub(serviceability, TMF645, rep, failing.callback)
        body = {
            "externalId": "CSQ-HUB",
            "serviceQualificationItem": [
                {
                    "id": "1",
                    "service": {
                        "serviceSpecification": {"id": "DIA-FIBER"},
                        "place": [{"role": "installationPlace", "id": "LOC-CHI-0026"}],
                    },
                }
            ],
        }
        check = await serviceability.post(f"{TMF645}/checkServiceQualification", json=body, headers=rep)
        assert check.status_code == 201, check.text
        [heard] = await eventually(lambda: _now(listener.events), lambda events: len(events) == 1)
        assert heard["eventType"] == "CheckServiceQualificationCreateEvent"
        assert heard["event"]["checkServiceQualification"] == check.json()
        place = {"role": "installationPlace", "streetNr": "233", "streetName": "S Wacker Dr", "city": "Chicago",
                 "stateOrProvince": "IL", "postcode": "60606", "@type": "GeographicAddress"}  # fmt: skip
        search = {"searchCriteria": {"service": {"place": [place]}}}
        query = await serviceability.post(f"{TMF645}/queryServiceQualification", json=search, headers=rep)
        assert query.status_code == 201, query.text
        [_, asked] = await eventually(lambda: _now(listener.events), lambda events: len(events) == 2)
        assert (asked["eventType"], asked["event"]["queryServiceQualification"]) == (
            "QueryServiceQualificationCreateEvent",
            query.json(),
        )

        sre = bearer(stack, "sre-sam", Role.SRE)

        async def dead_letters():
            return (await serviceability.get("/ops/notifications", params={"state": "dead"}, headers=sre)).json()

        def the_checks(letters):
            return [letter for letter in letters if letter["eventId"] == heard["eventId"]]

        [letter] = the_checks(await eventually(dead_letters, the_checks, timeout=60))
        assert (letter["eventId"], letter["eventType"]) == (heard["eventId"], "CheckServiceQualificationCreateEvent")
        assert "HTTP 500" in letter["lastError"] and letter["attempts"] >= 2
        sent_to_failing = [body for _, body in failing.received if json.loads(body)["eventId"] == heard["eventId"]]
        assert len(sent_to_failing) == letter["attempts"]
        assert (await serviceability.get("/ops/notifications", headers=rep)).status_code == 403
    finally:
        await failing.stop()

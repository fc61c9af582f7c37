"""Limits on input, as an attacker would try them on the live stack: each is refused with a clear 4xx before
anything is stored, and an event Kafka can never take holds back nothing behind it."""

import secrets
from email.message import EmailMessage

import httpx
import pytest
import sqlalchemy as sa

from intake.tables import messaging as intake_messaging
from orderdesk_shared.auth import Role
from orderdesk_shared.codec import KafkaRecord
from orderdesk_shared.db import Database
from orderdesk_shared.events.intake import OrderReceived
from orderdesk_shared.limits import MAX_OFFSET, MAX_PAGE_SIZE
from orderdesk_shared.relay import RELAY_DEAD_LETTER_CONSUMER
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually, xlsx_bomb
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
# What a readiness check may say: states, never an error's text.
READINESS_STATES = {"ok", "down", "retrying", "starting", "stopped"}


def _order_body(seed: int) -> dict:
    [order] = generate_orders(1, seed=seed, invalid_share=0.0)
    return order.body


async def _orders_with_external_id(intake: httpx.AsyncClient, external_id: str, headers: dict) -> int:
    found = await intake.get(PRODUCT_ORDER_PATH, params={"externalId": external_id}, headers=headers)
    return int(found.headers["X-Total-Count"])


async def test_a_2_mib_body_is_refused_413_before_auth_and_nothing_is_stored(stack, intake):
    marker = f"OVERSIZED-{secrets.token_hex(4)}"
    body = _order_body(seed=901) | {"externalId": marker, "note": "x" * (2 * MIB)}

    anonymous = await intake.post(PRODUCT_ORDER_PATH, json=body)
    signed_in = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=bearer(stack, "rep-001", Role.SALES_REP))

    assert anonymous.status_code == 413, anonymous.text
    assert anonymous.headers["content-type"] == "application/json"
    assert "1048576 bytes" in anonymous.json()["detail"]
    assert signed_in.status_code == 413
    assert await _orders_with_external_id(intake, marker, bearer(stack, "dana", Role.SPECIALIST)) == 0


async def test_a_streamed_body_that_declares_no_length_is_cut_off_at_the_limit(stack, intake):
    async def chunks():
        for _ in range(3 * 16):
            yield b" " * (64 * 1024)

    refused = await intake.post(PRODUCT_ORDER_PATH, content=chunks(), headers={"Content-Type": "application/json"})

    assert refused.status_code == 413


async def test_an_over_long_field_is_refused_400_at_its_path_and_a_1_2_mb_one_never_gets_past_the_body_limit(
    stack, intake
):
    rep = bearer(stack, "rep-001", Role.SALES_REP)
    long_id = "E" * 101
    megabyte_id = "E" * 1_200_000

    too_long = await intake.post(PRODUCT_ORDER_PATH, json=_order_body(seed=902) | {"externalId": long_id}, headers=rep)
    huge = await intake.post(PRODUCT_ORDER_PATH, json=_order_body(seed=902) | {"externalId": megabyte_id}, headers=rep)

    assert too_long.status_code == 400
    assert {"field": "externalId", "reason": "String should have at most 100 characters"} in too_long.json()[
        "invalid_params"
    ]
    assert huge.status_code == 413
    items = _order_body(seed=903)["productOrderItem"]
    too_many = await intake.post(
        PRODUCT_ORDER_PATH, json=_order_body(seed=903) | {"productOrderItem": items * 101}, headers=rep
    )
    assert too_many.status_code == 400
    assert "productOrderItem" in {problem["field"] for problem in too_many.json()["invalid_params"]}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\x0c\xff*\xc3\x0f", {"field": "1", "reason": "JSON decode error: not utf-8 text"}),
        (
            b'{"externalId": "E-1",',
            {"field": "21", "reason": "JSON decode error: Expecting property name enclosed in double quotes"},
        ),
        (b"[" * 100_000, {"field": "1025", "reason": "JSON decode error: depth limit exceeded"}),
    ],
    ids=["not UTF-8", "cut short", "nested too deep"],
)
async def test_a_body_that_is_not_json_is_refused_400_saying_where_and_why(stack, intake, body, problem):
    refused = await intake.post(
        PRODUCT_ORDER_PATH,
        content=body,
        headers=bearer(stack, "rep-001", Role.SALES_REP) | {"Content-Type": "application/json;charset=utf-8"},
    )

    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["invalid_params"] == [problem]


def _order_email(*attachments: tuple[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = "Angela Moretti <angela.moretti@telco.example>"
    message["To"] = "orders@telco.example"
    message["Subject"] = "Order"
    message["Message-ID"] = f"<limits-{secrets.token_hex(6)}@telco.example>"
    message.set_content("Order Type: add\nAccount Number: ACC-10017\nSales Rep: rep-011\n")
    for filename, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
    return message.as_bytes()


async def test_an_xlsx_bomb_is_refused_with_what_it_would_unpack_to(stack, intake):
    mail = bearer(stack, "mail-gateway", Role.MAIL_GATEWAY) | {"Content-Type": "message/rfc822"}

    refused = await intake.post("/intake/email", content=_order_email(("order.xlsx", xlsx_bomb())), headers=mail)

    assert refused.status_code == 422, refused.text
    assert "order.xlsx unpacks to" in refused.json()["detail"]


async def test_an_email_of_thousands_of_mime_parts_is_refused_with_its_reason(stack, intake):
    mail = bearer(stack, "mail-gateway", Role.MAIL_GATEWAY) | {"Content-Type": "message/rfc822"}
    parts = [(f"part-{n}.bin", b"x") for n in range(2000)]

    refused = await intake.post("/intake/email", content=_order_email(*parts), headers=mail)

    assert refused.status_code == 422, refused.text
    assert "more than 100 MIME parts" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("service", "path", "roles"),
    [
        ("intake", PRODUCT_ORDER_PATH, (Role.SPECIALIST,)),
        ("intake", "/tmf-api/productOrderingManagement/v4/cancelProductOrder", (Role.SPECIALIST,)),
        ("console", "/console/orders", (Role.SPECIALIST,)),
        ("commission", "/commission/disputes", (Role.SALES_REP,)),
        ("serviceability", "/serviceability/siteSurveys", (Role.OPERATIONS,)),
        ("pricing-approval", "/pricing/approvals", (Role.SALES_MANAGER,)),
        ("fulfillment-handoff", "/fulfillment/catalogue-tickets", (Role.OPERATIONS,)),
    ],
)
async def test_deep_offsets_and_huge_pages_are_refused_on_every_list(stack, service, path, roles):
    headers = bearer(stack, "dana", *roles)
    async with httpx.AsyncClient(base_url=stack.service_url(service), timeout=30.0) as client:
        deep = await client.get(path, params={"offset": 10**9}, headers=headers)
        huge = await client.get(path, params={"limit": 10**6}, headers=headers)
        deepest = await client.get(path, params={"offset": MAX_OFFSET, "limit": MAX_PAGE_SIZE}, headers=headers)

    invalid = 400 if path.startswith("/tmf-api/") else 422  # what a TMF specification documents, else 422
    assert (deep.status_code, huge.status_code) == (invalid, invalid), (deep.text, huge.text)
    assert deep.json()["invalid_params"][0]["field"] == "offset"
    assert huge.json()["invalid_params"][0]["field"] == "limit"
    assert deepest.status_code == 200


CHECK_PATH = "/tmf-api/serviceQualificationManagement/v4/checkServiceQualification"
NUL = "U+0000"
OUT_OF_RANGE = "out of the range"


@pytest.mark.parametrize(
    ("service", "method", "path", "cancelling", "reason"),
    [
        ("intake", "GET", f"{PRODUCT_ORDER_PATH}/PO-%00", False, NUL),
        ("intake", "GET", f"{PRODUCT_ORDER_PATH}?externalId=CRM-%00", False, NUL),
        ("intake", "POST", "/tmf-api/productOrderingManagement/v4/cancelProductOrder", True, NUL),
        # Year 9999 at an offset west of UTC is year 10000 in UTC: past Python's datetime (the driver's).
        ("intake", "GET", f"{PRODUCT_ORDER_PATH}?orderDate.lt=9999-12-31T23:59:59-23:59", False, OUT_OF_RANGE),
        ("serviceability", "GET", f"{CHECK_PATH}/Q-%00", False, NUL),
        ("serviceability", "GET", "/serviceability/locations/LOC-%00", False, NUL),
    ],
)
async def test_a_value_the_database_cannot_hold_is_invalid_input_not_a_server_error(
    stack, service, method, path, cancelling, reason
):
    """Valid JSON, and valid under the specifications, but no PostgreSQL value can hold it (the fuzzer's finding:
    each such request was a 500)."""
    json = {"productOrder": {"id": "PO-\x00"}, "cancellationReason": "resent"} if cancelling else None
    async with httpx.AsyncClient(base_url=stack.service_url(service), timeout=30.0) as client:
        answer = await client.request(method, path, json=json, headers=bearer(stack, "dana", Role.SPECIALIST))

    invalid = 400 if path.startswith("/tmf-api/") else 422
    assert answer.status_code == invalid, answer.text
    # Said of the request, or (a body checked against its definition first) of the field that holds it.
    reasons = [answer.json()["detail"], *(problem["reason"] for problem in answer.json().get("invalid_params", []))]
    assert any(reason in said for said in reasons), answer.text


async def test_a_deeply_nested_merge_patch_is_refused_400_and_the_order_is_unchanged(stack, intake):
    rep = bearer(stack, "rep-009", Role.SALES_REP)
    created = (await intake.post(PRODUCT_ORDER_PATH, json=_order_body(seed=904), headers=rep)).json()
    # Deeper than any JSON library will write: the text is written by hand.
    deep = '{"note": ' + '{"a": ' * 5000 + "{}" + "}" * 5000 + "}"

    refused = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{created['id']}",
        content=deep.encode(),
        headers=rep | {"Content-Type": "application/merge-patch+json"},
    )

    # Too deep to parse is a 400; parsed but too deep (below) is a 400 at the body.
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"] == "application/json"
    history = (await intake.get(f"{PRODUCT_ORDER_PATH}/{created['id']}/history", headers=rep)).json()
    assert len(history) == 1
    moderately_deep: dict = {}
    for _ in range(50):
        moderately_deep = {"a": moderately_deep}
    refused_after_parsing = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{created['id']}",
        json={"note": moderately_deep},
        headers=rep | {"Content-Type": "application/merge-patch+json"},
    )
    assert refused_after_parsing.status_code == 400, refused_after_parsing.text
    assert "nests deeper than 10 levels" in refused_after_parsing.json()["invalid_params"][0]["reason"]


@pytest.mark.parametrize("service", ["intake", "console", "pricing-approval", "commission"])
async def test_readiness_and_liveness_say_states_and_no_error_text(stack, service):
    async with httpx.AsyncClient(base_url=stack.service_url(service), timeout=30.0) as client:
        ready = (await client.get("/readyz")).json()
        alive = (await client.get("/healthz")).json()

    assert set(ready["checks"].values()) <= READINESS_STATES
    assert alive == {"status": "ok"}


async def test_after_an_event_kafka_can_never_take_the_orders_behind_it_are_ratified(stack, intake):
    """An oversized event in intake's outbox (written as intake's own unit of work would) is dead-lettered by
    intake's relay with its reason; orders submitted after it go all the way to ratified."""
    database = Database(url=stack.service_database_url("intake"), tables=intake_messaging, source="intake")
    oversized_order = f"PO-OVERSIZED-{secrets.token_hex(4).upper()}"
    try:
        async with database.unit_of_work() as uow:
            uow.emit_record(
                KafkaRecord(
                    topic=OrderReceived.topic,
                    key=oversized_order,
                    value=b'{"externalId": "' + b"E" * 1_200_000 + b'"}',
                    headers={"ce_type": OrderReceived.event_type, "ce_id": secrets.token_hex(8)},
                ),
                aggregate_type="order",
                event_type=OrderReceived.event_type,
            )
        rep = bearer(stack, "rep-009", Role.SALES_REP)
        created = (await intake.post(PRODUCT_ORDER_PATH, json=_order_body(seed=905), headers=rep)).json()

        async def stage():
            return (await intake.get(f"{PRODUCT_ORDER_PATH}/{created['id']}", headers=rep)).json()["stage"]

        await eventually(stage, lambda value: value == "ratified", timeout=90)

        dead_letters = intake_messaging.dead_letters
        async with database.engine.connect() as connection:
            [(consumer, error_class, reason)] = (
                await connection.execute(
                    sa.select(dead_letters.c.consumer, dead_letters.c.error_class, dead_letters.c.reason).where(
                        dead_letters.c.key == oversized_order
                    )
                )
            ).all()
            outbox = intake_messaging.outbox
            left = (
                await connection.execute(sa.select(sa.func.count()).where(outbox.c.aggregate_id == oversized_order))
            ).scalar_one()
        assert (consumer, error_class) == (RELAY_DEAD_LETTER_CONSUMER, "MessageSizeTooLargeError")
        assert reason.startswith("unpublishable:") and "EEEE" not in reason
        assert left == 0
        readiness = (await intake.get("/readyz")).json()
        assert readiness["checks"]["relay"] == "ok"
    finally:
        await database.dispose()

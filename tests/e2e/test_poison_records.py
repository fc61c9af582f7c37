"""A malformed record on a live topic is dead-lettered with its reason, and shows in the metrics Prometheus alerts
on; orders keep flowing past it."""

import secrets
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from orderdesk_shared.auth import Role
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.order import Stage
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack
from orderdesk_stack.testing import eventually
from tests.conftest import bearer, publish_poison_record, records_for

pytestmark = pytest.mark.e2e


async def test_a_poison_record_goes_to_the_dead_letter_topic_and_the_partition_keeps_flowing(stack, intake):
    order_id = f"PO-POISON-{secrets.token_hex(4).upper()}"
    poison = await publish_poison_record(stack, order_id)

    [body] = [order.body for order in generate_orders(1, seed=77, invalid_share=0.0)]
    rep = bearer(stack, "rep-009", Role.SALES_REP)
    created = (await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)).json()

    # Each service reading the topic keeps the record with its own reason: serviceability and the console.
    dead = await records_for(stack.kafka_admin, OrderValidated.topic + ".dlt", order_id, count=2)
    reasons = [{name: value.decode() for name, value in record.headers} for record in dead]
    assert sorted(reason["dlt-consumer"] for reason in reasons) == ["console", "serviceability"]
    assert {reason["dlt-error-class"] for reason in reasons} == {"ValidationError"}
    assert all("order.items" in reason["dlt-reason"] for reason in reasons)
    assert {record.value for record in dead} == {poison.value}
    # What Prometheus scrapes: both services hold an open dead letter and counted one dead-lettered record.
    for service in ("console", "serviceability"):
        metrics = await eventually(
            lambda service=service: _scrape(stack, service),
            lambda metrics, service=service: _value(metrics, "orderdesk_dead_letters_open", service=service) >= 1,
        )
        assert _value(metrics, "orderdesk_events_handled_total", consumer=service, outcome="dead_lettered") >= 1

    async def order_behind() -> dict:
        return (await intake.get(f"{PRODUCT_ORDER_PATH}/{created['id']}", headers=rep)).json()

    await eventually(
        order_behind,
        lambda seen: seen["stage"] == "ratified",
        what="the order after the poison record to get through",
    )


async def test_every_services_relay_leads_and_cycles_as_prometheus_sees_it(stack):
    for service in SERVICES:
        metrics = await _scrape(stack, service.name)
        assert _value(metrics, "orderdesk_relay_leader", service=service.name) == 1, service.name
        # An idle relay still finishes a cycle every poll (2 s): a stamp a minute old means "relay down".
        stamp = _value(metrics, "orderdesk_relay_last_cycle_timestamp_seconds", service=service.name)
        assert time.time() - stamp < 60, service.name
    console_metrics = await _scrape(stack, "console")
    assert {labels["stage"] for labels, _ in console_metrics["orderdesk_orders_past_sla"]} == set(Stage)


async def _scrape(stack: Stack, service: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """A service's /metrics/ as Prometheus reads it: each sample name's (labels, value) pairs."""
    async with httpx.AsyncClient(base_url=stack.service_url(service), timeout=10) as client:
        exposition = (await client.get("/metrics/")).text
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def _value(metrics: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when there are none)."""
    return sum(value for found, value in metrics.get(name, []) if labels.items() <= found.items())

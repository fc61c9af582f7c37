"""An Operations work-order feed: read hand-offs and cancel requests from `orders.handed-off` with plain aiokafka.

Needs only aiokafka (no OrderDesk code). Run: KAFKA_PASSWORD=... python handoff_consumer.py --bootstrap localhost:9092
It logs in with SASL/SCRAM-SHA-512 as the `operations` principal, whose ACLs let it read this topic in consumer
groups named `operations-*` (add --tls with a SASL_SSL listener; `orderdesk kafka-login operations` prints the local
stack's login).
It prints one work order per hand-off and a stop request per cancel; a real consumer would open (or change, or
stop) the order in its provisioning system, then report progress on `ops.order-status.v1` or through
fulfillment-handoff's API (see docs/handoff-contract.md).
"""

import argparse
import asyncio
import json
import os

from aiokafka import AIOKafkaConsumer
from aiokafka.helpers import create_ssl_context

TOPIC = "orders.handed-off"
EVENT_TYPE = "com.orderdesk.order.handed-off.v1"
CANCEL_EVENT_TYPE = "com.orderdesk.order.hand-off-cancelled.v1"


def work_order(package: dict) -> str:
    """A readable work order from a hand-off package; fields it does not know are ignored, as the contract asks."""
    order = package["order"]
    account = order["account"]
    lines = [
        f"order {package['orderId']} v{package['orderVersion']} for {account.get('legalName') or account.get('id')}",
        f"  path: {package['processingPath']}, bill from {package.get('billingDate', 'the install date')}",
    ]
    if replaced := package.get("replacesVersion"):
        lines.append(f"  changes v{replaced}: work to this version from now on")
    for item in order["items"]:
        codes = [line for line in package["billingLines"] if line["itemId"] == item["id"]]
        billing = ", ".join(
            f"{line['billingSystem']} {line['billingCode']} ({line['priceComponent']})" for line in codes
        )
        lines.append(f"  item {item['id']} {item['action']} {item['productOfferingId']}: {billing}")
    lines += [f"  note [{note['topic']}] {note['note']}" for note in package.get("engineeringNotes", [])]
    return "\n".join(lines)


def stop_request(cancel: dict) -> str:
    """What to stop, and how to answer: the order was cancelled after it was handed off."""
    return "\n".join(
        [
            f"STOP order {cancel['orderId']} v{cancel['orderVersion']}: {cancel['reason']}",
            "  answer cancelled once the work is stopped, or installed (with its date) if it was too late",
        ]
    )


# What to print for each type on the topic; other types (a later .v2 comes with its own) are skipped.
READERS = {EVENT_TYPE: work_order, CANCEL_EVENT_TYPE: stop_request}


async def main(bootstrap: str, group: str, *, username: str, password: str, tls: bool) -> None:
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        security_protocol="SASL_SSL" if tls else "SASL_PLAINTEXT",
        ssl_context=create_ssl_context() if tls else None,
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=username,
        sasl_plain_password=password,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async for record in consumer:
            headers = {name: value.decode() for name, value in record.headers}
            if read := READERS.get(headers.get("ce_type")):
                print(read(json.loads(record.value)))
            await consumer.commit()  # after the work order is safely recorded: at-least-once
    finally:
        await consumer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--group", default="operations-work-orders")
    parser.add_argument("--username", default="operations")
    parser.add_argument("--tls", action="store_true", help="the listener is SASL_SSL (brokers signed by a trusted CA)")
    arguments = parser.parse_args()
    password = os.environ["KAFKA_PASSWORD"]
    asyncio.run(
        main(arguments.bootstrap, arguments.group, username=arguments.username, password=password, tls=arguments.tls)
    )

"""An Operations work-order feed: read the hand-off package from `orders.handed-off` with plain aiokafka.

Needs only aiokafka (no OrderDesk code). Run: python handoff_consumer.py --bootstrap localhost:9092
It prints one work order per hand-off; a real consumer would open the order in its provisioning system,
then report progress on `ops.order-status.v1` (see docs/handoff-contract.md).
"""

import argparse
import asyncio
import json

from aiokafka import AIOKafkaConsumer

TOPIC = "orders.handed-off"
EVENT_TYPE = "com.orderdesk.order.handed-off.v1"


def work_order(package: dict) -> str:
    """A readable work order from a hand-off package; fields it does not know are ignored, as the contract asks."""
    order = package["order"]
    account = order["account"]
    lines = [
        f"order {package['orderId']} v{package['orderVersion']} for {account.get('legalName') or account.get('id')}",
        f"  path: {package['processingPath']}, bill from {package.get('billingDate', 'the install date')}",
    ]
    for item in order["items"]:
        codes = [line for line in package["billingLines"] if line["itemId"] == item["id"]]
        billing = ", ".join(
            f"{line['billingSystem']} {line['billingCode']} ({line['priceComponent']})" for line in codes
        )
        lines.append(f"  item {item['id']} {item['action']} {item['productOfferingId']}: {billing}")
    lines += [f"  note [{note['topic']}] {note['note']}" for note in package.get("engineeringNotes", [])]
    return "\n".join(lines)


async def main(bootstrap: str, group: str) -> None:
    consumer = AIOKafkaConsumer(
        TOPIC, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        async for record in consumer:
            headers = {name: value.decode() for name, value in record.headers}
            if headers.get("ce_type") == EVENT_TYPE:  # a later .v2 would come with its own type
                print(work_order(json.loads(record.value)))
            await consumer.commit()  # after the work order is safely recorded: at-least-once
    finally:
        await consumer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--group", default="operations-work-orders")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.bootstrap, arguments.group))

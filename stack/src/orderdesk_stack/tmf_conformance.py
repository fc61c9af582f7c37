"""For tests: does a document conform to a definition of a published TM Forum specification (docs/standards)?

    assert_conforms(response.json(), TMF622, "ProductOrder")

and gives the published examples as a client sends them (`product_order_request()`).

The check is the reference JSON Schema validator of orderdesk_shared.published_specs (references resolved,
date-times checked); properties a definition does not list pass, as the specifications allow everywhere.
"""

import json

from orderdesk_shared.published_specs import STANDARDS, TMF620, TMF622, TMF645, PublishedSpec

__all__ = [
    "TMF620",
    "TMF622",
    "TMF645",
    "assert_conforms",
    "nonconformities",
    "product_order_request",
    "published_example",
]


def nonconformities(document: object, spec_file: str, definition: str) -> list[str]:
    """Every place the document breaks the definition, as `path: reason` (empty when it conforms)."""
    return [f"{error.field}: {error.reason}" for error in PublishedSpec.named(spec_file).errors(definition, document)]


def assert_conforms(document: object, spec_file: str, definition: str) -> None:
    """Fail, naming every nonconformity, when the document does not conform to the definition."""
    problems = nonconformities(document, spec_file, definition)
    assert not problems, f"not a conformant {definition} ({spec_file}):\n" + "\n".join(problems)


def published_example(file_name: str) -> dict:
    """An example of docs/standards as published (e.g. "ProductOrder.example.json")."""
    return json.loads((STANDARDS / file_name).read_text(encoding="utf-8"))


# What a TMF622 server sets on a ProductOrder and its items: a client's POST does not carry them.
PRODUCT_ORDER_SERVER_SET = ("id", "href", "orderDate", "completionDate", "expectedCompletionDate", "state")


def product_order_request() -> dict:
    """The published ProductOrder example as a client POSTs it: what the server sets removed."""
    example = published_example("ProductOrder.example.json")
    for field in PRODUCT_ORDER_SERVER_SET:
        example.pop(field, None)
    for item in example["productOrderItem"]:
        item.pop("state", None)
    return example

"""The published TMF specifications (docs/standards) as schemathesis schemas, for the fuzzer."""

import json
from dataclasses import dataclass

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from orderdesk_shared.published_specs import STANDARDS, TMF620, TMF622, TMF645

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class PublishedApi:
    spec: str
    service: str

    @property
    def document(self) -> dict:
        return json.loads((STANDARDS / self.spec).read_text())


PUBLISHED_APIS = {
    "TMF622": PublishedApi(TMF622, "intake"),
    "TMF645": PublishedApi(TMF645, "serviceability"),
    "TMF620": PublishedApi(TMF620, "pricing-approval"),
}


def published_schema(
    api: PublishedApi, *, base_url: str | None = None, headers: dict[str, str] | None = None
) -> schemathesis.BaseSchema:
    """The specification as published, its listeners left out: they are the client's endpoints, where a TMF
    server posts its notifications, not OrderDesk's."""
    document = api.document
    schema = schemathesis.openapi.from_dict(document)
    if base_url is not None:
        schema.config.update(base_url=base_url + document["basePath"].rstrip("/"), headers=headers)
    return schema.exclude(path_regex="^/listener/")


def operation_labels(name: str) -> list[str]:
    """The operations of a published API that OrderDesk's side serves, e.g. `GET /productOrder/{id}`."""
    return [result.ok().label for result in published_schema(PUBLISHED_APIS[name]).get_all_operations()]

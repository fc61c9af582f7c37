"""The published TMF622, TMF645 and TMF620 specifications, fuzzed against a live stack.

Schemathesis generates requests from the specifications in docs/standards (never from OrderDesk's own OpenAPI),
sends them with a specialist's token to the service that serves each API, and checks every answer: no 5xx, a
status code, content type, headers and body the specification documents for that operation. Each operation is a
test of its own, with spec-valid (positive) and spec-invalid (negative) requests.

The suite runs a bounded pass: a few examples per operation, the same ones every run. ORDERDESK_FUZZ_EXAMPLES sets
how many each operation gets, ORDERDESK_FUZZ_SEED draws other ones (README, "The TMF fuzzer": the long run).
"""

import os

import pytest
import requests
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, GenerationMode

from orderdesk_shared.auth import Role
from orderdesk_stack.stack import Stack
from tests.e2e.published_apis import CHECKS, PUBLISHED_APIS, operation_labels, published_schema

EXAMPLES = int(os.environ.get("ORDERDESK_FUZZ_EXAMPLES") or 6)
SEED = os.environ.get("ORDERDESK_FUZZ_SEED") or None
FUZZING = settings(
    max_examples=EXAMPLES,
    # Without a seed, the same requests on every run: a failure in CI is reproduced by running the test again.
    derandomize=SEED is None,
    database=None,
    deadline=None,  # the stack answers slower while the machine is busy: that is no finding
    suppress_health_check=list(HealthCheck),
)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# An example takes well under a second, its shrinking (after a failure) a few more.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300 + 2 * EXAMPLES)]


@pytest.fixture(scope="module")
def fuzzed(stack: Stack):
    """Each published API's schema, aimed at the service that serves it, with a specialist's token (a specialist
    may use every operation OrderDesk serves of the three; a sales rep sees only their own orders)."""
    token = stack.token_signer.bearer("fuzzer", Role.SPECIALIST)
    return {
        name: published_schema(api, base_url=stack.service_url(api.service), headers=token)
        for name, api in PUBLISHED_APIS.items()
    }


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


@pytest.mark.parametrize(
    ("api", "label"),
    [pytest.param(name, label, id=f"{name} {label}") for name in PUBLISHED_APIS for label in operation_labels(name)],
)
def test_published_operation_conforms(api: str, label: str, fuzzed, http: requests.Session):
    operation = fuzzed[api].find_operation_by_label(label)
    requests_to_send = st.one_of(
        *(operation.as_strategy(generation_mode=mode) for mode in MODES),
        *(_on_resource(operation, id_) for id_ in _existing_ids(operation, http)),
    )

    @FUZZING
    @given(case=requests_to_send)
    def answers_conform(case):
        case.call_and_validate(session=http, checks=CHECKS)

    (seed(int(SEED))(answers_conform) if SEED else answers_conform)()


def _existing_ids(operation: APIOperation, http: requests.Session) -> list[str]:
    """For an operation on one resource (`/productOrder/{id}`), the ids its collection lists now: a generated id
    is almost never one, so without them only the 404 would be checked. The operations run in the specification's
    order, so its POSTs have made some."""
    if not operation.path.endswith("/{id}"):
        return []
    collection = operation.schema.get_base_url() + operation.path.removesuffix("/{id}")
    response = http.get(collection, params={"limit": 3}, headers=operation.schema.config.headers)
    listed = response.json() if response.status_code == 200 else []
    return [resource["id"] for resource in listed if isinstance(resource, dict) and isinstance(resource.get("id"), str)]


def _on_resource(operation: APIOperation, id_: str) -> st.SearchStrategy:
    return st.one_of(*(operation.as_strategy(generation_mode=mode, path_parameters={"id": id_}) for mode in MODES))

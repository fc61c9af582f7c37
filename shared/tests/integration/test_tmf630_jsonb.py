"""A store of jsonb resources decides a TMF630 filter in Postgres (SQL/JSON path) exactly as the list helper
decides it in Python: the same resources match."""

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from orderdesk_shared.tmf630 import parse_conditions

pytestmark = pytest.mark.integration

CHECKS = [
    {
        "id": "1",
        "@type": "CheckServiceQualification",
        "state": "done",
        "qualificationResult": "qualified",
        "provideAlternative": False,
        "serviceQualificationItem": [
            {"id": "1", "qualificationResult": "qualified", "service": {"serviceSpecification": {"id": "DIA-FIBER"}}},
            {"id": "2", "qualificationResult": "unqualified", "service": {"serviceSpecification": {"id": "VOICE"}}},
        ],
        "distanceToFiberFt": 120,
        'odd"name': "quoted",
    },
    {
        "id": "2",
        "@type": "CheckServiceQualification",
        "state": "done",
        "qualificationResult": "alternate",
        "provideAlternative": True,
        "serviceQualificationItem": [
            {"id": "1", "qualificationResult": "alternate", "service": {"serviceSpecification": {"id": "DIA-FIBER"}}}
        ],
        "distanceToFiberFt": 950.5,
        "tags": ["near-net", "survey"],
    },
    {"id": "3", "@type": "CheckServiceQualification", "state": "inProgress", "distanceToFiberFt": "unknown"},
]
ATTRIBUTES = {key for check in CHECKS for key in check}


@pytest.fixture
async def engine(postgres_admin_url):
    engine = create_async_engine(make_url(postgres_admin_url).set(drivername="postgresql+asyncpg"))
    yield engine
    await engine.dispose()


async def _decided_in_postgres(engine, parameters: list[tuple[str, str]]) -> list[str]:
    conditions = parse_conditions(parameters, attributes=ATTRIBUTES)
    paths = [condition.jsonpath() for condition in conditions]
    assert None not in paths
    document = sa.bindparam("document", type_=JSONB)
    query = sa.select(
        *(
            sa.func.jsonb_path_exists(document, sa.cast(path, JSONPATH), sa.literal(variables, JSONB))
            for path, variables in paths
        )
    )
    matching = []
    async with engine.connect() as connection:
        for check in CHECKS:
            if all((await connection.execute(query, {"document": check})).one()):
                matching.append(check["id"])
    return matching


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ([("state", "done")], ["1", "2"]),
        ([("state", "inProgress,done")], ["1", "2", "3"]),
        ([("qualificationResult", "qualified,alternate")], ["1", "2"]),
        ([("serviceQualificationItem.service.serviceSpecification.id", "VOICE")], ["1"]),
        ([("serviceQualificationItem.qualificationResult", "alternate")], ["2"]),
        ([("serviceQualificationItem.id", "2"), ("state", "done")], ["1"]),
        ([("serviceQualificationItem.nothing", "x")], []),
        ([("provideAlternative", "true")], ["2"]),
        ([("provideAlternative", "false")], ["1"]),
        ([("distanceToFiberFt", "120.0")], ["1"]),
        ([("distanceToFiberFt", "unknown")], ["3"]),
        ([("distanceToFiberFt.gt", "120")], ["2"]),
        ([("distanceToFiberFt.lte", "950.5")], ["1", "2"]),
        ([("tags", "survey")], ["2"]),
        ([('odd"name', "quoted")], ["1"]),
        ([("@type", "CheckServiceQualification"), ("id", "3")], ["3"]),
    ],
)
async def test_postgres_and_the_list_helper_match_the_same_resources(engine, parameters, expected):
    in_python = [
        check["id"]
        for check in CHECKS
        if all(c.holds(check) for c in parse_conditions(parameters, attributes=ATTRIBUTES))
    ]
    assert in_python == expected
    assert await _decided_in_postgres(engine, parameters) == expected


def test_an_ordering_of_date_times_is_left_to_the_helper():
    [condition] = parse_conditions(
        [("effectiveQualificationDate.gte", "2026-12-01")], attributes={"effectiveQualificationDate"}
    )
    assert condition.jsonpath() is None

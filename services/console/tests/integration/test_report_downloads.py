"""The reports through the console's API and its reports page, on its real schema: the files, who gets them, and a
wrong request answered as a problem naming what is wrong."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook

from console.domain.report_facts import report_fact
from console.handlers import keep_report_facts
from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role
from orderdesk_shared.events.pricing_approval import PricedItem
from orderdesk_shared.telemetry import Traced
from orderdesk_stack.testing import session_token_signer

pytestmark = pytest.mark.integration

NOVEMBER = {"start": "2026-11-01", "end": "2026-12-01"}


def _as(console, role: Role) -> httpx.AsyncClient:
    app, _ = console
    token = session_token_signer().mint(f"someone in {role}", [role])
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://console",
        cookies={TOKEN_COOKIE: token},
        headers={"Authorization": f"Bearer {token}"},
    )


async def _handed_off(database, journeys) -> None:
    *_, handed_off, _ = journeys.every_stage()
    item = PricedItem(
        item_id="1",
        list_mrc=Decimal("450.50"),
        net_mrc=Decimal("450.50"),
        nrc=Decimal(99),
        discount_percent=0,
        term_months=36,
    )
    booked = handed_off.model_copy(update={"pricing": handed_off.pricing.model_copy(update={"items": [item]})})
    fact = report_fact(booked, message_id="m1", occurred_at=datetime(2026, 11, 20, 16, 0, tzinfo=UTC))
    async with database.unit_of_work() as uow:
        await keep_report_facts(uow, [Traced.here(fact)])


async def test_finance_downloads_a_period_as_xlsx_and_csv_from_the_api_and_the_page(console, database, journeys):
    await _handed_off(database, journeys)

    async with _as(console, Role.FINANCE) as finance:
        listed = (await finance.get("/console/reports")).json()
        xlsx = await finance.get("/console/reports/bookings", params=NOVEMBER | {"by": "rep"})
        page = await finance.get("/reports")
        from_page = await finance.get("/reports/bookings/file", params=NOVEMBER | {"format": "csv", "by": "rep"})

    assert [report["name"] for report in listed] == ["bookings", "capital", "fallout", "cycle-times", "commission"]
    assert xlsx.status_code == 200
    assert 'filename="bookings_2026-11-01_2026-12-01.xlsx"' in xlsx.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    # rep-001 has 60% of the order, rep-017 40%: MRR 450.50, TCV 450.50 × 36 + 99 = 16,317.00.
    assert rows[-3:] == [
        ("rep-001", 1, 270.3, 59.4, 9790.2),
        ("rep-017", 1, 180.2, 39.6, 6526.8),
        ("Total", 1, 450.5, 99.0, 16317.0),
    ]
    assert 'action="/reports/commission/file"' in page.text
    assert from_page.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(from_page.text)))[-1] == ["Total", "1", "450.50", "99.00", "16317.00"]


async def test_a_wrong_request_is_a_problem_naming_what_is_wrong_and_a_sales_rep_gets_no_report(console):
    async with _as(console, Role.SPECIALIST) as specialist, _as(console, Role.SALES_REP) as rep:
        backwards = await specialist.get(
            "/console/reports/bookings", params={"start": "2026-12-01", "end": "2026-11-01"}
        )
        foreign = await specialist.get("/console/reports/capital", params=NOVEMBER | {"rep": "rep-001"})
        not_a_date = await specialist.get("/console/reports/capital", params={"start": "November", "end": "2026-12-01"})
        unknown = await specialist.get("/console/reports/revenue", params=NOVEMBER)
        refused = await rep.get("/console/reports/bookings", params=NOVEMBER)
        refused_page = await rep.get("/reports")

    for answer, field in ((backwards, "end"), (foreign, "rep"), (not_a_date, "start")):
        assert (answer.status_code, answer.headers["content-type"]) == (422, "application/problem+json")
        assert [problem["field"] for problem in answer.json()["invalid_params"]] == [field]
    assert unknown.status_code == 404
    assert (refused.status_code, refused_page.status_code) == (403, 403)

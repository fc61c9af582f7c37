"""The bookings report on the running stack, through the public APIs only: orders handed off today are in today's
report to the cent of the prices pricing-approval gave them, read from the real XLSX file (and the CSV `orderdesk
report` writes); an order not handed off, and a period they are not in, count none of them."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from orderdesk_shared.auth import Role
from orderdesk_stack.cli import app
from orderdesk_stack.paths import RUN_DIR_ENV
from orderdesk_stack.testing import eventually
from tests.conftest import bearer
from tests.e2e.order_journeys import handed_off_order, waiting_for_the_director

pytestmark = pytest.mark.e2e


async def _bookings_total(console, finance: dict, start, end) -> tuple[int, Decimal, Decimal, Decimal]:
    """The Total row of the bookings XLSX for [start, end): orders, MRR, NRC, TCV (to the cent)."""
    answer = await console.get(
        "/console/reports/bookings", params={"start": str(start), "end": str(end), "format": "xlsx"}, headers=finance
    )
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == f"{start} to {end} (end excluded)"
    label, orders, *amounts = rows[-1]
    assert label == "Total"
    return orders, *(Decimal(str(amount)).quantize(Decimal("0.01")) for amount in amounts)


async def test_todays_bookings_add_up_the_prices_of_the_orders_handed_off_today(
    stack, intake, services, people, tmp_path
):
    console, pricing = services["console"], services["pricing-approval"]
    finance = bearer(stack, "fran-finance", Role.FINANCE)
    today = datetime.now(UTC).date()
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    before = await _bookings_total(console, finance, today, tomorrow)
    yesterdays = await _bookings_total(console, finance, yesterday, today)

    booked = [await handed_off_order(intake, people, seed=seed) for seed in (2201, 2202)]
    await waiting_for_the_director(intake, pricing, people, seed=2203)
    quotes = [
        (await pricing.get(f"/pricing/orders/{order_id}", headers=people["specialist"])).json() for order_id in booked
    ]
    expected = (
        before[0] + len(booked),
        before[1] + sum(Decimal(str(quote["pricing"]["mrcTotal"])) for quote in quotes),
        before[2] + sum(Decimal(str(quote["pricing"]["nrcTotal"])) for quote in quotes),
        before[3] + sum(Decimal(str(quote["pricing"]["totalContractValue"])) for quote in quotes),
    )

    after = await eventually(
        lambda: _bookings_total(console, finance, today, tomorrow),
        lambda total: total[0] >= expected[0],
        what="today's bookings to count the orders handed off",
    )
    assert after == expected
    assert await _bookings_total(console, finance, yesterday, today) == yesterdays
    assert _csv_total_from_the_cli(stack, tmp_path, today, tomorrow) == [str(figure) for figure in after]


def _csv_total_from_the_cli(stack, tmp_path: Path, start, end) -> list[str]:
    """The Total row of the bookings CSV `orderdesk report` writes for [start, end)."""
    out = tmp_path / "bookings.csv"
    result = CliRunner().invoke(
        app,
        ["report", "bookings", "--start", str(start), "--end", str(end), "--format", "csv", "--out", str(out)],
        env={RUN_DIR_ENV: str(stack.run_dir), "ORDERDESK_SERVICE_PORT_BASE": str(stack.service_port_base)},
    )
    assert result.exit_code == 0, result.output
    *_, total = csv.reader(io.StringIO(out.read_text()))
    return total[1:]

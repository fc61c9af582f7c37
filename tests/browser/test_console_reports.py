"""The reports page in a real browser (Debian's Chromium, headless) against the running stack: finance sets a
filter, downloads the bookings report as XLSX and as CSV, and both files hold the order handed off today."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import Page, expect

from orderdesk_shared.auth import Role
from tests.browser.console_pages import screenshot, sign_in, until_in_console
from tests.conftest import bearer
from tests.e2e.order_journeys import handed_off_order

pytestmark = pytest.mark.e2e


async def _download(page: Page, button: str, today: date) -> bytes:
    """The file the button downloads, named after the report and its period."""
    form = page.locator("#report-bookings form")
    async with page.expect_download() as started:
        await form.get_by_role("button", name=button).click()
    download = await started.value
    assert download.suggested_filename == f"bookings_{today}_{today + timedelta(days=1)}.{button.split()[-1].lower()}"
    return Path(await download.path()).read_bytes()


async def test_finance_downloads_the_bookings_by_rep_as_xlsx_and_csv_from_the_reports_page(stack, intake, console):
    rep = bearer(stack, "rep-002", Role.SALES_REP)
    order_id = await handed_off_order(intake, {"rep": rep}, seed=2301)
    await until_in_console(stack, order_id, stage="ratified")
    today = datetime.now(UTC).date()

    await sign_in(console, "fran", Role.FINANCE)
    await console.get_by_role("link", name="Reports", exact=True).click()
    await expect(console.get_by_role("heading", name="Bookings")).to_be_visible()
    form = console.locator("#report-bookings form")
    await form.locator('input[name="start"]').fill(str(today))
    await form.locator('input[name="end"]').fill(str(today + timedelta(days=1)))
    await form.locator('select[name="by"]').select_option("rep")
    xlsx = await _download(console, "Download XLSX", today)
    csv_file = await _download(console, "Download CSV", today)
    await screenshot(console, "finance-reports-page")

    rows = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    lines = list(csv.reader(io.StringIO(csv_file.decode())))
    for table in (rows, lines):
        assert list(table[0][:2]) == ["Report", "Bookings"]
        assert list(table[2][:2]) == ["Filters", "by=rep"]
    assert ("Rep", "Orders", "MRR", "NRC", "TCV") in rows
    assert ["Rep", "Orders", "MRR", "NRC", "TCV"] in lines
    total_orders = rows[-1][1]
    assert rows[-1][0] == "Total" and total_orders >= 1
    assert lines[-1][:2] == ["Total", str(total_orders)]


@pytest.mark.parametrize(
    ("report", "title", "filled", "chosen", "shown"),
    [
        ("capital", "Capital", {"market": "CHI"}, {}, "market=CHI"),
        ("fallout", "Fallout and rejections", {"channel": "api"}, {"by": "channel"}, "by=channel; channel=api"),
        ("cycle-times", "Cycle times", {"order_type": "new"}, {}, "order_type=new"),
        ("commission", "Commission", {"rep": "rep-002"}, {}, "rep=rep-002"),
    ],
)
async def test_every_report_downloads_with_its_filters_from_the_reports_page(
    stack, console, report, title, filled, chosen, shown
):
    today = datetime.now(UTC).date()
    await sign_in(console, "fran", Role.FINANCE)
    await console.get_by_role("link", name="Reports", exact=True).click()
    form = console.locator(f"#report-{report} form")
    await form.locator('input[name="start"]').fill(str(today - timedelta(days=7)))
    await form.locator('input[name="end"]').fill(str(today + timedelta(days=1)))
    for name, value in filled.items():
        await form.locator(f'input[name="{name}"]').fill(value)
    for name, value in chosen.items():
        await form.locator(f'select[name="{name}"]').select_option(value)
    async with console.expect_download() as started:
        await form.get_by_role("button", name="Download XLSX").click()
    download = await started.value
    assert download.suggested_filename == f"{report}_{today - timedelta(days=7)}_{today + timedelta(days=1)}.xlsx"

    rows = list(load_workbook(io.BytesIO(Path(await download.path()).read_bytes())).active.iter_rows(values_only=True))
    assert list(rows[0][:2]) == ["Report", title]
    assert list(rows[1][:2]) == ["Period", f"{today - timedelta(days=7)} to {today + timedelta(days=1)} (end excluded)"]
    assert list(rows[2][:2]) == ["Filters", shown]

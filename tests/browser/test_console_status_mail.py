"""The status mail page in a real browser (Debian's Chromium, headless) against the running stack: a rep stops their
own status mail and may not touch anyone else's; a specialist stops it for a customer contact who asked by reply."""

import httpx
import pytest
from playwright.async_api import expect

from orderdesk_shared.auth import Role
from orderdesk_shared.roster import read_roster
from orderdesk_stack.paths import repo_root
from orderdesk_stack.testing import eventually
from tests.browser.console_pages import screenshot, sign_in
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

ROSTER, _ = read_roster((repo_root() / "services/commission/reference/roster.v1.csv").read_text())
REP = "rep-005"
PREFERENCES = "/console/notification-preferences"
CUSTOMER = "priya.raman@lakeshore.example.com"


@pytest.fixture
async def api(stack):
    async with httpx.AsyncClient(base_url=stack.service_url("console"), timeout=30.0) as client:
        yield client


async def test_a_rep_stops_their_own_status_mail_and_the_desk_stops_a_customers(stack, console, api):
    rep_email = ROSTER[REP].email
    rep = bearer(stack, REP, Role.SALES_REP)
    # The console knows the rep's address once it has heard commission announce the roster.
    await eventually(
        lambda: api.get(f"{PREFERENCES}/{rep_email}", headers=rep),
        lambda answer: answer.status_code == 200,
        what="the console to know the rep's roster e-mail",
    )

    await sign_in(console, REP, Role.SALES_REP)
    await console.get_by_role("link", name="Status mail").click()
    await expect(console.locator("form.preference")).to_contain_text(f"{rep_email} gets status mail")
    await console.get_by_role("button", name="Stop status mail").click()
    await expect(console.locator(".notice")).to_have_text(f"{rep_email} gets no status mail from the next event on.")
    await expect(console.locator("form.preference")).to_contain_text(f"gets no status mail (set by {REP},")
    assert (await api.get(f"{PREFERENCES}/{rep_email}", headers=rep)).json()["statusMail"] is False

    await console.goto(
        f"{console.url.split('/notifications')[0]}/notifications?email=priya.raman@lakeshore.example.com"
    )
    await expect(console.locator(".notice")).to_contain_text("only the person")
    await expect(console.locator("form.preference")).to_have_count(0)

    await sign_in(console, "dana", Role.SPECIALIST)
    await console.get_by_role("link", name="Status mail").click()
    await console.get_by_label("Anyone's, by e-mail address").fill("Priya.Raman@lakeshore.example.com")
    await console.get_by_role("button", name="Look up").click()
    await console.get_by_role("button", name="Stop status mail").click()
    await expect(console.locator(".notice")).to_have_text(f"{CUSTOMER} gets no status mail from the next event on.")
    await screenshot(console, "desk-stops-a-customers-status-mail")
    specialist = bearer(stack, "dana", Role.SPECIALIST)
    kept = (await api.get(f"{PREFERENCES}/{CUSTOMER}", headers=specialist)).json()
    assert (kept["statusMail"], kept["changedBy"]) == (False, "dana")

"""What the browser journeys do on the console's pages: sign in, tell a change in place from a reload,
keep a screenshot, and wait for the console to show an order."""

from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from orderdesk_shared.auth import Role
from orderdesk_stack.testing import eventually
from tests.conftest import bearer

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


async def sign_in(page: Page, name: str, role: Role) -> None:
    await page.goto("/sign-in")
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Role").select_option(str(role))
    await page.get_by_role("button", name="Sign in as").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


async def mark_loaded(page: Page) -> None:
    """Mark the page as loaded now: a reload would forget the mark."""
    await page.evaluate("window.loadedBeforeTheChange = true")


async def still_loaded(page: Page) -> bool:
    """Whether the page shown is still the one marked: it changed in place, not by a reload."""
    return await page.evaluate("window.loadedBeforeTheChange === true")


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


async def until_in_console(stack, order_id: str, timeout: float = 60.0, **shown: str) -> dict:
    """The console's row of the order once it has one showing `shown` (e.g. state="pending"): the read model
    follows the bus, one topic at a time, so it may show a fallout before the stage line it came with."""
    headers = bearer(stack, "sre-1", Role.SRE)
    async with httpx.AsyncClient(base_url=stack.service_url("console"), timeout=10.0) as client:

        async def console_row() -> dict | None:
            response = await client.get(f"/console/orders/{order_id}", headers=headers)
            return response.json() if response.status_code == 200 else None

        return await eventually(
            console_row,
            lambda row: row is not None and shown.items() <= row.items(),
            what=f"{order_id} showing {shown} in the console",
            timeout=timeout,
        )

"""The proposal and contract document of an approved order, read back from the PDF the API serves."""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from orderdesk_shared.auth import Role
from orderdesk_shared.context import ServiceContext
from pricing_approval.handlers import price_order

from ..builders import internet_order, qualified
from .conftest import RULES, price, signed_in

pytestmark = pytest.mark.integration

# A Monday in the free-installation promotion's validity (July to December 2026).
PRICED_AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
PRICED_IN_THE_PROMOTION = ServiceContext(rules=RULES, clock=lambda: PRICED_AT)


async def _approved_order(api, database) -> None:
    order = internet_order(
        "PO-DOC", discount="25", promotion_code="FREEINSTALL26", non_standard_terms="Payment due net 45 days."
    )
    async with database.unit_of_work() as uow:
        await price_order(qualified(order), uow, PRICED_IN_THE_PROMOTION)
    for subject, role in (("dana-director", Role.SALES_DIRECTOR), ("lee-legal", Role.LEGAL)):
        headers = signed_in(api, subject, role)
        [request] = (await api.get("/pricing/approvals", headers=headers)).json()
        granted = await api.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=headers)
        assert granted.status_code == 200, granted.text


async def test_the_pdf_shows_items_prices_promotion_terms_legal_terms_and_a_signature_block(api, database):
    await _approved_order(api, database)
    response = await api.get("/pricing/orders/PO-DOC/proposal.pdf", headers=signed_in(api, "rep-007", Role.SALES_REP))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"

    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Proposal and service agreement" in text and "(draft: approval pending)" not in text
    assert "Draft: not sent to the customer yet." in text
    assert "Lakeshore Logistics LLC" in text and "PO-DOC" in text and "MSA-2211" in text
    assert "Dedicated Internet Access over fiber" in text and "bandwidth_mbps 1000" in text
    for figure in ("$1,665.00", "$1,248.75", "25%", "$0.00", "$44,955.00"):
        assert figure in text, figure
    assert "FREEINSTALL26, Free fiber installation on 36-month and longer terms" in text
    assert "Item 1: 36-month term" in text
    assert "Payment due net 45 days." in text
    assert "sales director: dana-director" in text and "legal: lee-legal" in text
    assert "For Lakeshore Logistics LLC" in text and "For the provider" in text
    assert text.count("Signature: ____") == 2 and text.count("Date: ____") == 2
    fonts = {font for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert any("Vera" in str(font.get_object()["/BaseFont"]) for font in fonts), "the TrueType font is embedded"


async def test_the_html_of_an_order_still_waiting_for_approval_is_marked_draft(api, database):
    await price(database, internet_order("PO-DRAFT", discount="25"))
    page = await api.get("/pricing/orders/PO-DRAFT/proposal.html", headers=signed_in(api, "rep-007", Role.SALES_REP))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Proposal and service agreement (draft: approval pending)" in page.text
    assert "$1,248.75" in page.text
    assert "the provider&#x27;s standard terms" in page.text


async def test_a_rejected_order_has_no_proposal(api, database):
    await price(database, internet_order("PO-NOPE"))
    async with database.unit_of_work() as uow:
        await price_order(
            qualified(internet_order("PO-NOPE"), version=2, near_net_feet=990), uow, PRICED_IN_THE_PROMOTION
        )
    response = await api.get("/pricing/orders/PO-NOPE/proposal.pdf", headers=signed_in(api, "rep-007", Role.SALES_REP))
    assert response.status_code == 409
    assert "CAPITAL_POLICY" in response.json()["detail"]


async def test_the_document_shows_where_the_proposal_stands_and_who_signed_it_once_accepted(api, database):
    await price(database, internet_order("PO-INK", signed_date=None))
    rep = signed_in(api, "rep-007", Role.SALES_REP)
    page = await api.get("/pricing/orders/PO-INK/proposal.html", headers=rep)
    assert "Draft: not sent to the customer yet." in page.text

    today = RULES.calendar.day_of(datetime.now(UTC))
    assert (await api.post("/pricing/orders/PO-INK/proposal/send", json={}, headers=rep)).status_code == 200
    signed = {"signedBy": "Priya Raman", "signedOn": str(today)}
    assert (await api.post("/pricing/orders/PO-INK/proposal/accept", json=signed, headers=rep)).status_code == 200

    response = await api.get("/pricing/orders/PO-INK/proposal.pdf", headers=rep)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages)
    day = f"{today:%B} {today.day}, {today.year}"
    assert f"Accepted: signed by Priya Raman on {day}." in text
    assert "Name: Priya Raman" in text and f"Date: {day}" in text
    assert text.count("Name: ____") == 1, "the provider's side is still to sign"


async def test_a_build_shows_its_capital_view_with_the_customers_contribution(api, database):
    # 990 ft: $15,000 + $44,550 = $59,550, less $20,000 CIAC; 60% of $1,581.75 = $949.05 a month.
    async with database.unit_of_work() as uow:
        order = internet_order("PO-BUILD", ciac="20000")
        await price_order(qualified(order, near_net_feet=990), uow, PRICED_IN_THE_PROMOTION)

    page = await api.get("/pricing/orders/PO-BUILD/proposal.html", headers=signed_in(api, "rep-007", Role.SALES_REP))
    assert "Capital view of the construction" in page.text
    for name, value in (
        ("Construction estimate", "$59,550.00"),
        ("Customer contribution in aid of construction (CIAC)", "$20,000.00"),
        ("Net capital expenditure", "$39,550.00"),
        ("Monthly contribution", "$949.05"),
        ("Payback", "41.67 months"),
        ("Simple ROI over the 36-month term", "-13.6%"),
    ):
        assert f"<tr><th>{name}</th><td>{value}</td></tr>" in page.text, name
    assert "<tr><th>Net present value at 8% a year</th><td>$" in page.text
    # The one site driving it, before the CIAC: its whole build against its whole contribution.
    assert "Sites driving the capital" in page.text
    assert "<td>990 ft</td><td>$59,550.00</td><td>none</td><td>100%</td><td>$949.05</td><td>62.75 months</td>" in (
        page.text
    )
    pdf = await api.get("/pricing/orders/PO-BUILD/proposal.pdf", headers=signed_in(api, "rep-007", Role.SALES_REP))
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Sites driving the capital" in text and "62.75 months" in text

"""The proposal and contract document of a priced order, as HTML and as PDF (DOMAIN.md: items, prices,
terms, promotions, any non-standard legal terms, and a signature block).

Both renderings come from one `Proposal`, so they always say the same. The PDF embeds the Bitstream
Vera TrueType fonts shipped with reportlab, so it reads the same on every machine.
"""

import html
import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from orderdesk_shared.events.pricing_approval import ApprovalGranted
from pricing_approval.catalogue import Catalogue
from pricing_approval.domain.money import dollars, percent
from pricing_approval.domain.workflow import QuoteStatus
from pricing_approval.repository import StoredQuote

ITEM_COLUMNS = ("Item", "Offering", "Configuration", "Qty", "Term", "List MRC", "Net MRC", "Discount", "NRC")
STANDARD_TERMS = "None: the provider's standard terms and conditions apply."


@dataclass(frozen=True)
class Proposal:
    title: str
    draft: bool
    facts: tuple[tuple[str, str], ...]
    items: tuple[tuple[str, ...], ...]
    totals: tuple[tuple[str, str], ...]
    promotions: tuple[str, ...]
    terms: tuple[str, ...]
    legal_terms: str
    approvals: tuple[str, ...]
    customer: str


def proposal_of(quote: StoredQuote, *, catalogue: Catalogue, approvals: list[ApprovalGranted]) -> Proposal:
    """What the document says about a priced order; a draft until every approval is granted."""
    order, pricing = quote.order, quote.pricing
    agreement = order.agreement
    customer = order.account.legal_name or f"Account {order.account.id}"
    items = {item.id: item for item in order.items}
    lines = []
    for line in pricing.items:
        offering = catalogue.offerings.get(line.offering_id or items[line.item_id].product_offering_id)
        configuration = ", ".join(f"{name} {value}" for name, value in items[line.item_id].characteristics.items())
        lines.append(
            (
                line.item_id,
                offering.name if offering else items[line.item_id].product_offering_id,
                configuration or "standard",
                str(line.quantity or items[line.item_id].quantity),
                f"{line.term_months} months",
                dollars(line.list_mrc),
                dollars(line.net_mrc),
                percent(line.discount_percent),
                dollars(line.nrc),
            )
        )
    promotions = tuple(
        f"Item {line.item_id}: {line.promotion_code}, {catalogue.promotions[line.promotion_code].name}"
        for line in pricing.items
        if line.promotion_code and line.promotion_code in catalogue.promotions
    )
    terms = [
        f"Item {line.item_id}: {line.term_months}-month term from the date service is installed."
        for line in pricing.items
    ]
    terms.append("Monthly recurring charges are billed monthly in advance; one-time charges on installation.")
    if order.requested_completion_date:
        terms.append(f"Requested completion date: {_day(order.requested_completion_date)}.")
    if agreement and agreement.ciac:
        terms.append(f"Customer contribution in aid of construction (CIAC): {dollars(agreement.ciac)}.")
    draft = quote.status is not QuoteStatus.APPROVED
    return Proposal(
        title="Proposal and service agreement" + (" (draft: approval pending)" if draft else ""),
        draft=draft,
        facts=(
            ("Customer", customer),
            ("Order", f"{order.id} (version {quote.order_version})"),
            ("Contract", agreement.contract_id if agreement and agreement.contract_id else "to be assigned"),
            ("Prepared", _day(quote.priced_at.date())),
        ),
        items=tuple(lines),
        totals=(
            ("Monthly recurring charges", dollars(pricing.mrc_total)),
            ("One-time charges", dollars(pricing.nrc_total)),
            ("Total contract value", dollars(pricing.total_contract_value)),
        ),
        promotions=promotions,
        terms=tuple(terms),
        legal_terms=(agreement.non_standard_terms or "").strip() if agreement else "",
        approvals=tuple(
            f"{grant.role.replace('_', ' ')}: {grant.approver}"
            + (f", {_day(grant.decided_at.date())}" if grant.decided_at else "")
            for grant in approvals
        ),
        customer=customer,
    )


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def render_html(proposal: Proposal) -> str:
    e = html.escape
    rows = "".join("<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in proposal.items)
    facts = "".join(f"<tr><th>{e(name)}</th><td>{e(value)}</td></tr>" for name, value in proposal.facts)
    totals = "".join(f"<tr><th>{e(name)}</th><td>{e(value)}</td></tr>" for name, value in proposal.totals)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(proposal.title)}</title>
<style>
body {{ font-family: "Bitstream Vera Sans", "DejaVu Sans", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; margin-bottom: 1em; }}
td, th {{ border: 1px solid #999; padding: 0.3em 0.6em; text-align: left; }}
.signature td {{ border: none; padding: 1.2em 2em 0 0; }}
</style></head><body>
<h1>{e(proposal.title)}</h1>
<table>{facts}</table>
<h2>Items and prices</h2>
<table><tr>{"".join(f"<th>{e(column)}</th>" for column in ITEM_COLUMNS)}</tr>{rows}</table>
<table>{totals}</table>
<h2>Promotions</h2>
{_html_list(proposal.promotions or ("None.",))}
<h2>Terms</h2>
{_html_list(proposal.terms)}
<h2>Non-standard legal terms</h2>
<p>{e(proposal.legal_terms or STANDARD_TERMS)}</p>
<h2>Approvals</h2>
{_html_list(proposal.approvals or ("No approval was required.",))}
<h2>Signatures</h2>
<table class="signature">
<tr><th>For {e(proposal.customer)}</th><th>For the provider</th></tr>
{"".join(f"<tr><td>{line}</td><td>{line}</td></tr>" for line in _signature_lines())}
</table>
</body></html>
"""


def _html_list(entries: tuple[str, ...]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(entry)}</li>" for entry in entries) + "</ul>"


_SIGNATURE = ("Signature", "Name", "Title", "Date")


def _signature_lines() -> list[str]:
    return [f"{label}: ____________________" for label in _SIGNATURE]


_FONT, _BOLD = "Vera", "VeraBd"


def _register_fonts() -> None:
    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(_BOLD, "VeraBd.ttf"))


def render_pdf(proposal: Proposal) -> bytes:
    _register_fonts()
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5)
    heading = ParagraphStyle("heading", parent=body, fontName=_BOLD, fontSize=12, leading=16, spaceBefore=10)
    title = ParagraphStyle("title", parent=body, fontName=_BOLD, fontSize=16, leading=20, spaceAfter=8)
    money = ParagraphStyle("money", parent=small, alignment=TA_RIGHT)
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), _FONT),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )

    def paragraph(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(html.escape(text), style)

    def bullets(entries: tuple[str, ...]) -> list[Paragraph]:
        return [paragraph(f"• {entry}") for entry in entries]

    header = [[paragraph(column, small) for column in ITEM_COLUMNS]]
    rows = [
        [paragraph(cell, money if index >= 5 else small) for index, cell in enumerate(row)] for row in proposal.items
    ]
    widths = [0.45, 1.4, 1.2, 0.4, 0.7, 0.8, 0.8, 0.75, 0.75]
    story = [
        paragraph(proposal.title, title),
        Table(
            [[paragraph(name), paragraph(value)] for name, value in proposal.facts], colWidths=[1.2 * inch, 4 * inch]
        ),
        paragraph("Items and prices", heading),
        Table(header + rows, colWidths=[width * inch for width in widths], style=grid, repeatRows=1),
        Spacer(1, 6),
        Table(
            [[paragraph(name), paragraph(value, money)] for name, value in proposal.totals],
            colWidths=[2.2 * inch, 1.3 * inch],
            style=grid,
        ),
        paragraph("Promotions", heading),
        *bullets(proposal.promotions or ("None.",)),
        paragraph("Terms", heading),
        *bullets(proposal.terms),
        paragraph("Non-standard legal terms", heading),
        paragraph(proposal.legal_terms or STANDARD_TERMS),
        paragraph("Approvals", heading),
        *bullets(proposal.approvals or ("No approval was required.",)),
        paragraph("Signatures", heading),
        Table(
            [[paragraph(f"For {proposal.customer}", heading), paragraph("For the provider", heading)]]
            + [[paragraph(line)] * 2 for line in _signature_lines()],
            colWidths=[3.5 * inch, 3.5 * inch],
            style=TableStyle([("TOPPADDING", (0, 1), (-1, -1), 14)]),
        ),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        title=proposal.title,
        leftMargin=0.6 * inch,
        rightMargin=0.6 * inch,
        topMargin=0.6 * inch,
        bottomMargin=0.6 * inch,
        invariant=True,
    )
    document.build(story)
    return buffer.getvalue()

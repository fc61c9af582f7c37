"""The proposal and contract document of a priced order, as HTML and as PDF (DOMAIN.md: items, prices,
terms, promotions, any non-standard legal terms, and a signature block), with where it stands with the
customer and, when the sites need construction, the capital view.

Both renderings come from one `Proposal`, so they always say the same. The PDF embeds the Bitstream
Vera TrueType fonts shipped with reportlab, so it reads the same on every machine.
"""

import html
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from orderdesk_shared.calendar import BusinessCalendar
from orderdesk_shared.events.pricing_approval import ApprovalGranted, CapitalFigures, SiteCapital
from orderdesk_shared.money import dollars, percent, plain
from pricing_approval.domain.markets import item_markets
from pricing_approval.domain.proposals import ProposalRecord, ProposalState
from pricing_approval.domain.records import StoredQuote
from pricing_approval.domain.workflow import QuoteStatus
from pricing_approval.rules_in_force import PricingRules

ITEM_COLUMNS = ("Item", "Offering", "Configuration", "Qty", "Term", "List MRC", "Net MRC", "Discount", "NRC")
STANDARD_TERMS = "None: the provider's standard terms and conditions apply."
FEES_HEADING = "Taxes and fees, a month (billed with the service, beside the charges above)"
CAPITAL_HEADING = "Capital view of the construction"
CAPITAL_SITES_HEADING = "Sites driving the capital (each before CIAC, over the order's term)"
SITE_COLUMNS = (
    "Item",
    "Location",
    "Medium",
    "Distance to fiber",
    "Construction",
    "Vendor cost",
    "MRC share",
    "Contribution",
    "Payback",
    "NPV",
)
MARKET_CLAUSES_HEADING = "Terms of the service's market"
# What the title says of a proposal nobody can sign as it stands.
_TITLE_NOTE = {
    QuoteStatus.PENDING_APPROVAL: " (draft: approval pending)",
    QuoteStatus.SUPERSEDED: " (void: the order was corrected since)",
    QuoteStatus.CANCELLED: " (void: the order was cancelled)",
}
_BLANK = "____________________"


@dataclass(frozen=True)
class Proposal:
    title: str
    # Where the proposal stands with the customer: draft, sent, accepted (by whom, when), declined or expired.
    standing: str
    facts: tuple[tuple[str, str], ...]
    items: tuple[tuple[str, ...], ...]
    totals: tuple[tuple[str, str], ...]
    # The taxes and fees the sites' markets add, a month each (billed with the service; not in the totals).
    fees: tuple[tuple[str, str], ...]
    # Construction's estimate, CIAC, net capex, monthly contribution, payback, ROI and NPV; empty without a build.
    capital: tuple[tuple[str, str], ...]
    # One row a site driving the capital (SITE_COLUMNS); empty without a build.
    capital_sites: tuple[tuple[str, ...], ...]
    promotions: tuple[str, ...]
    terms: tuple[str, ...]
    # The clauses the sites' markets require for the order's offerings, each naming its market policy.
    market_clauses: tuple[str, ...]
    legal_terms: str
    approvals: tuple[str, ...]
    customer: str
    # The customer's side of the signature block, filled in once the proposal is accepted.
    customer_signature: tuple[tuple[str, str], ...]


def proposal_of(
    quote: StoredQuote, *, rules: PricingRules, approvals: list[ApprovalGranted], record: ProposalRecord | None
) -> Proposal:
    """What the document says about a priced order; a draft until every approval is granted, void once the order
    is cancelled or corrected."""
    catalogue, calendar = rules.catalogue, rules.calendar
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
    markets = item_markets(quote.sites)
    return Proposal(
        title="Proposal and service agreement" + _TITLE_NOTE.get(quote.status, ""),
        standing=_standing(record, calendar),
        facts=(
            ("Customer", customer),
            ("Order", f"{order.id} (version {quote.order_version})"),
            ("Contract", agreement.contract_id if agreement and agreement.contract_id else "to be assigned"),
            ("Prepared", _day(calendar.day_of(quote.priced_at))),
        ),
        items=tuple(lines),
        totals=(
            ("Monthly recurring charges", dollars(pricing.mrc_total)),
            ("One-time charges", dollars(pricing.nrc_total)),
            ("Total contract value", dollars(pricing.total_contract_value)),
        ),
        fees=tuple((fee.label, dollars(fee.monthly)) for fee in rules.markets.fee_charges(pricing.items, markets)),
        capital=_capital(pricing.capital, npv_rate=rules.policy.capital.npv_annual_rate_percent),
        capital_sites=tuple(_capital_site(site) for site in pricing.capital.sites) if pricing.capital else (),
        promotions=promotions,
        terms=tuple(terms),
        market_clauses=tuple(rules.markets.required_clauses(pricing.items, markets)),
        legal_terms=(agreement.non_standard_terms or "").strip() if agreement else "",
        approvals=tuple(
            f"{grant.role.replace('_', ' ')}: {grant.approver}"
            + (f", {_day(grant.decided_at.date())}" if grant.decided_at else "")
            for grant in approvals
        ),
        customer=customer,
        customer_signature=_customer_signature(record),
    )


def _standing(record: ProposalRecord | None, calendar: BusinessCalendar) -> str:
    if record is None:
        return "Not tracked: the order was priced before proposals were kept."
    match record.state:
        case ProposalState.DRAFT:
            return "Draft: not sent to the customer yet."
        case ProposalState.SENT:
            sent, last = _day(calendar.day_of(record.sent_at)), _day(record.expires_on)
            return f"Sent: to the customer on {sent} by {record.sent_by}; open for signature through {last}."
        case ProposalState.ACCEPTED:
            return f"Accepted: signed by {record.signed_by} on {_day(record.signed_on)}."
        case ProposalState.DECLINED:
            return f"Declined by the customer: {record.declined_reason}"
        case ProposalState.EXPIRED:
            return f"Expired: unsigned after {_day(record.expires_on)}, to be sent again."


def _capital(figures: CapitalFigures | None, *, npv_rate: Decimal) -> tuple[tuple[str, str], ...]:
    if figures is None:
        return ()
    payback = _payback(figures.payback_months)
    roi = percent(figures.simple_roi_percent) if figures.simple_roi_percent is not None else "nothing invested"
    return (
        ("Construction estimate", dollars(figures.construction_estimate)),
        ("Customer contribution in aid of construction (CIAC)", dollars(figures.ciac)),
        ("Net capital expenditure", dollars(figures.net_capex)),
        ("Monthly contribution", dollars(figures.monthly_contribution)),
        ("Payback", payback),
        (f"Simple ROI over the {figures.term_months}-month term", roi),
        (f"Net present value at {percent(npv_rate)} a year", dollars(figures.npv)),
    )


def _capital_site(site: SiteCapital) -> tuple[str, ...]:
    return (
        site.item_id,
        site.location_id or "unknown",
        site.access_medium or "unknown",
        f"{site.distance_to_fiber_ft:,} ft" if site.distance_to_fiber_ft is not None else "unknown",
        dollars(site.construction_estimate),
        dollars(site.vendor_mrc_cost) if site.vendor_mrc_cost is not None else "none",
        percent(site.mrc_share_percent),
        dollars(site.monthly_contribution),
        _payback(site.payback_months),
        dollars(site.npv),
    )


def _payback(months: Decimal | None) -> str:
    return f"{plain(months)} months" if months is not None else "never"


def _customer_signature(record: ProposalRecord | None) -> tuple[tuple[str, str], ...]:
    accepted = record is not None and record.state is ProposalState.ACCEPTED
    name = record.signed_by if accepted else _BLANK
    day = _day(record.signed_on) if accepted else _BLANK
    return (("Signature", _BLANK), ("Name", name), ("Title", _BLANK), ("Date", day))


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def render_html(proposal: Proposal) -> str:
    e = html.escape
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
<p class="standing">{e(proposal.standing)}</p>
<table>{facts}</table>
{_html_grid("Items and prices", ITEM_COLUMNS, proposal.items)}
<table>{totals}</table>
{_html_table(FEES_HEADING, proposal.fees)}
{_html_table(CAPITAL_HEADING, proposal.capital)}
{_html_grid(CAPITAL_SITES_HEADING, SITE_COLUMNS, proposal.capital_sites)}
<h2>Promotions</h2>
{_html_list(proposal.promotions or ("None.",))}
<h2>Terms</h2>
{_html_list(proposal.terms)}
{f"<h2>{e(MARKET_CLAUSES_HEADING)}</h2>{_html_list(proposal.market_clauses)}" if proposal.market_clauses else ""}
<h2>Non-standard legal terms</h2>
<p>{e(proposal.legal_terms or STANDARD_TERMS)}</p>
<h2>Approvals</h2>
{_html_list(proposal.approvals or ("No approval was required.",))}
<h2>Signatures</h2>
<table class="signature">
<tr><th>For {e(proposal.customer)}</th><th>For the provider</th></tr>
{"".join(f"<tr><td>{e(customer)}</td><td>{e(provider)}</td></tr>" for customer, provider in _signatures(proposal))}
</table>
</body></html>
"""


def _html_list(entries: tuple[str, ...]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(entry)}</li>" for entry in entries) + "</ul>"


def _html_table(heading: str, rows: tuple[tuple[str, str], ...]) -> str:
    """A section of named figures under its heading; nothing when there are none."""
    if not rows:
        return ""
    cells = "".join(f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>" for name, value in rows)
    return f"<h2>{html.escape(heading)}</h2>\n<table>{cells}</table>"


def _html_grid(heading: str, columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    """A table of rows under its heading and column names; nothing when there are no rows."""
    if not rows:
        return ""
    e = html.escape
    head = "".join(f"<th>{e(column)}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<h2>{e(heading)}</h2>\n<table><tr>{head}</tr>{body}</table>"


def _signatures(proposal: Proposal) -> list[tuple[str, str]]:
    """Each line of the signature block: the customer's (filled in once accepted), and the provider's."""
    return [(f"{label}: {value}", f"{label}: {_BLANK}") for label, value in proposal.customer_signature]


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

    def grid_of(
        section: str,
        columns: tuple[str, ...],
        rows: tuple[tuple[str, ...], ...],
        widths: list[float],
        *,
        first_money: int,
    ) -> list[Paragraph | Table]:
        if not rows:
            return []
        cells = [[paragraph(column, small) for column in columns]] + [
            [paragraph(cell, money if index >= first_money else small) for index, cell in enumerate(row)]
            for row in rows
        ]
        return [
            paragraph(section, heading),
            Table(cells, colWidths=[w * inch for w in widths], style=grid, repeatRows=1),
        ]

    def figures(section: str, rows: tuple[tuple[str, str], ...]) -> list[Paragraph | Table]:
        if not rows:
            return []
        table = [[paragraph(name), paragraph(value, money)] for name, value in rows]
        return [paragraph(section, heading), Table(table, colWidths=[4.2 * inch, 1.3 * inch], style=grid)]

    story = [
        paragraph(proposal.title, title),
        paragraph(proposal.standing),
        Spacer(1, 6),
        Table(
            [[paragraph(name), paragraph(value)] for name, value in proposal.facts], colWidths=[1.2 * inch, 4 * inch]
        ),
        *grid_of(
            "Items and prices",
            ITEM_COLUMNS,
            proposal.items,
            [0.45, 1.4, 1.2, 0.4, 0.7, 0.8, 0.8, 0.75, 0.75],
            first_money=5,
        ),
        Spacer(1, 6),
        Table(
            [[paragraph(name), paragraph(value, money)] for name, value in proposal.totals],
            colWidths=[2.2 * inch, 1.3 * inch],
            style=grid,
        ),
        *figures(FEES_HEADING, proposal.fees),
        *figures(CAPITAL_HEADING, proposal.capital),
        *grid_of(
            CAPITAL_SITES_HEADING,
            SITE_COLUMNS,
            proposal.capital_sites,
            [0.4, 0.9, 0.55, 0.65, 0.8, 0.7, 0.55, 0.75, 0.65, 0.75],
            first_money=4,
        ),
        paragraph("Promotions", heading),
        *bullets(proposal.promotions or ("None.",)),
        paragraph("Terms", heading),
        *bullets(proposal.terms),
        *([paragraph(MARKET_CLAUSES_HEADING, heading)] if proposal.market_clauses else []),
        *bullets(proposal.market_clauses),
        paragraph("Non-standard legal terms", heading),
        paragraph(proposal.legal_terms or STANDARD_TERMS),
        paragraph("Approvals", heading),
        *bullets(proposal.approvals or ("No approval was required.",)),
        paragraph("Signatures", heading),
        Table(
            [[paragraph(f"For {proposal.customer}", heading), paragraph("For the provider", heading)]]
            + [[paragraph(customer), paragraph(provider)] for customer, provider in _signatures(proposal)],
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

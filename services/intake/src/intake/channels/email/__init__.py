"""An order email (RFC 5322 bytes) as a TMF622 order request: the order form in the body and/or an attached sheet.

Pure: no I/O. `parse_order_email` never raises; whatever it cannot read becomes an INCOMPLETE_DATA finding
with a plain message and a fix for the rep. An email built to exhaust the reader (more than MAX_PARTS MIME
parts, an attachment that would unpack past MAX_XLSX_UNPACKED_BYTES) is not read at all: its `refusal` says why.
A field the email simply does not give is left out of the request, for intake's order entry matrix to report
like on any other channel.

The order form
==============

Header fields are `Field: value` lines in the text/plain body (the HTML body only when there is no plain
one). Field names are case-insensitive and tolerant of extra spaces and punctuation (`order type :  new`
reads as `Order Type: new`); other lines are ignored. Reading stops at the signature delimiter (`-- `) or
at the start of a quoted reply (`On ... wrote:`, `-----Original Message-----`, Outlook's `_____` rule);
lines starting with `>` are skipped. When a field is given twice, the first value counts.

| field | meaning |
|---|---|
| Order Type | new, add, change, renewal, move, transfer or disconnect ("new logo" and "new customer" read as new) |
| Account Number | the existing customer's account, e.g. ACC-10001 (also: Account, Account Id) |
| Customer Name | a new client's legal name (also: Legal Name) |
| Billing Street, Billing City, Billing State, Billing ZIP | a new client's billing address |
| Tax ID | a new client's tax id (EIN), e.g. 36-4182275 |
| Contact Name, Contact Email, Contact Phone | the client's primary contact |
| Sales Rep | one line per rep: `rep-004 60%`, or `rep-004` for a rep with the whole order |
| Contract Id | the agreement (contract) id |
| Term Months | the contract term: 12, 24, 36 or 60 |
| Signed Date | the day the agreement was signed |
| CIAC | the customer's contribution in aid of construction, e.g. 20000 or $20,000 |
| Requested Date | the day the customer wants the order done (also: Requested Completion Date) |

Dates are ISO (2027-01-29) or US (1/29/2027).

Items are rows of an attached CSV (`.csv`, comma, semicolon or tab separated) or XLSX (`.xlsx`, the first
sheet with an Offering column) order form, one row per item under a row of column names (a title may stand
above it); and/or `Item N <Column>: value` lines in the body (`Item 1 Offering: DIA-FIBER`, `Item 1 MRC: 1350`).
Body items come first, in item-number order, then each attachment's rows in order. Columns, case-insensitive:

| column | meaning |
|---|---|
| Offering | product offering id from the catalogue, e.g. DIA-FIBER (also: Offering Id, Product Offering) |
| Action | add (the default), modify, delete or noChange |
| Quantity | a whole number (default 1) (also: Qty) |
| Characteristic | `name=value`, several separated by `;`, e.g. `bandwidth_mbps=500`; the column may repeat |
| Street, City, State, ZIP | the service address; Street and City are needed for it to count |
| MRC | monthly recurring charge, e.g. 1350 or $1,350.00 |
| NRC | one-time charge |
| Discount % | MRC discount percent, e.g. 8 or 8% (an XLSX percent cell 8% too) |
| Term Months | the item's term when it differs from the contract's |
| Existing Product Id | for modify or delete: the customer's product being changed |
| Promotion Code | a promotion the catalogue offers, e.g. VOICESWITCH (also: Promotion, Promo Code) |

An attachment needs an Offering or an Existing Product Id column. A sheet column that is not on the form is
reported and ignored; a cell that cannot be read (a non-numeric MRC, say) is reported and left out, and the
rest of its row and every other row still count. Findings name where the value was: `body.Term Months`,
`body.item[2].MRC`, `attachment[order.xlsx].row[3].MRC` (rows numbered as the spreadsheet shows them),
`attachment[order.xlsx]` for a whole file; `orderType` and `productOrderItem` when the email gives no (known)
order type or no item at all; `body` for a damaged or misdecoded text; `message` for a broken MIME structure;
`part[2]` for a part whose headers or encoding cannot be read.

The reader, by module: `mime` walks the parts (and names what Python's email library cannot read), `text` decodes
them, `body` reads the field lines, `csv_form` and `xlsx_form` read an attachment's rows and `attachments` turns
them into items, `mapping` makes the request; `form` holds the form's field and column names.
"""

from dataclasses import dataclass

from intake.channels.email.mapping import order_request
from intake.channels.email.mime import MAX_PARTS, email_sender, read_message
from intake.channels.email.reading import Reading, Refused
from orderdesk_shared.events.channels import email_message_id
from orderdesk_shared.events.fallout import Finding

__all__ = ["MAX_PARTS", "ParsedEmail", "email_sender", "parse_order_email"]


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # the Message-ID header without its angle brackets; "sha256:<hex of the raw bytes>" if absent
    request: dict  # a TMF622 ProductOrder_Create-shaped dict, channel email, externalId = message_id
    findings: list[Finding]  # INCOMPLETE_DATA for every part that could not be read
    refusal: str | None = None  # why the email is not read at all: it is built to exhaust the reader


def parse_order_email(raw: bytes) -> ParsedEmail:
    """The order the email stands for, and what of it could not be read (or why it was refused). Never raises."""
    raw = _as_bytes(raw)
    message_id = email_message_id(raw)
    reading = Reading()
    try:
        read_message(raw, reading)
    except Refused as refused:
        return ParsedEmail(message_id=message_id, request={}, findings=[], refusal=str(refused))
    request = order_request(message_id, reading)
    return ParsedEmail(message_id=message_id, request=request, findings=reading.findings)


def _as_bytes(raw) -> bytes:
    """The email's bytes, also when given as text (undecodable bytes kept as surrogate escapes) or a buffer."""
    if isinstance(raw, bytes):
        return raw
    try:
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
    except (UnicodeEncodeError, TypeError, ValueError):  # a surrogate no byte stands for; not bytes at all
        return b""

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
order type or no item at all; `body` for a damaged or misdecoded text; `message` for a broken MIME structure.
"""

import codecs
import csv
import email
import email.errors
import email.parser
import email.policy
import email.utils
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from email.message import Message
from html.parser import HTMLParser

from openpyxl import load_workbook

from orderdesk_shared.events.channels import email_message_id
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import ItemAction, OrderType

INCOMPLETE = "INCOMPLETE_DATA"
MAX_ROWS = 500  # item rows read from one attachment; an order form is never longer
# An order email has a body and an attachment or two; far more parts is a message made to exhaust the reader.
MAX_PARTS = 100
# An .xlsx is a zip: what it holds unpacked is checked before openpyxl unpacks it (an order form is a few
# hundred KB unpacked; a "zip bomb" of 100 KB unpacks to gigabytes).
MAX_XLSX_ENTRIES = 200
MAX_XLSX_UNPACKED_BYTES = 20 * 1024 * 1024
# Lines that may open a MIME part ("--boundary"): counted in the raw bytes before anything is parsed.
_DELIMITER_LINE = re.compile(rb"^--", re.MULTILINE)

_ORDER_TYPES = {value.value: value.value for value in OrderType} | {"new logo": "new", "new customer": "new"}
_ACTIONS = {"".join(action.value.casefold().split()): action.value for action in ItemAction} | {
    "no change": ItemAction.NO_CHANGE.value
}
_FIELDS = {
    "order type": "Order Type",
    "account number": "Account Number",
    "account": "Account Number",
    "account id": "Account Number",
    "account no": "Account Number",
    "customer name": "Customer Name",
    "legal name": "Customer Name",
    "billing street": "Billing Street",
    "billing city": "Billing City",
    "billing state": "Billing State",
    "billing zip": "Billing ZIP",
    "billing zip code": "Billing ZIP",
    "billing postcode": "Billing ZIP",
    "tax id": "Tax ID",
    "contact name": "Contact Name",
    "contact email": "Contact Email",
    "contact e mail": "Contact Email",
    "contact phone": "Contact Phone",
    "sales rep": "Sales Rep",
    "sales reps": "Sales Rep",
    "contract id": "Contract Id",
    "term months": "Term Months",
    "term": "Term Months",
    "signed date": "Signed Date",
    "ciac": "CIAC",
    "customer contribution": "CIAC",
    "requested date": "Requested Date",
    "requested completion date": "Requested Date",
}
_COLUMNS = {
    "offering": "Offering",
    "offering id": "Offering",
    "product offering": "Offering",
    "product offering id": "Offering",
    "action": "Action",
    "quantity": "Quantity",
    "qty": "Quantity",
    "characteristic": "Characteristic",
    "characteristics": "Characteristic",
    "street": "Street",
    "city": "City",
    "state": "State",
    "zip": "ZIP",
    "zip code": "ZIP",
    "postcode": "ZIP",
    "mrc": "MRC",
    "nrc": "NRC",
    "discount": "Discount %",
    "discount percent": "Discount %",
    "term months": "Term Months",
    "term": "Term Months",
    "existing product id": "Existing Product Id",
    "promotion code": "Promotion Code",
    "promotion": "Promotion Code",
    "promo code": "Promotion Code",
}
_FORM_COLUMNS = ", ".join(dict.fromkeys(_COLUMNS.values()))
_ITEM_KEY = re.compile(r"^item (\d{1,3}) (.+)$")
_LINE = re.compile(r"^\s*(?P<name>[^:]{1,60}?)\s*:\s*(?P<value>.*?)\s*$")
_STOP = re.compile(
    r"^(--\s?|_{5,}|-{3,}\s*original message\s*-{3,}|on\s.{0,200}\swrote:)$",
    re.IGNORECASE,
)
_REP = re.compile(r"^(?P<rep>.+?)(?:\s+[-–:]?\s*\(?(?P<percent>\d{1,3}(?:\.\d+)?)\s*%?\s*\)?)?$")
_REP_ID = re.compile(r"^rep-\d+$", re.IGNORECASE)
_EMAIL = re.compile(r"[^\s<>()\[\]:;,\"']+@[^\s<>()\[\]:;,\"']+")
_AMOUNT = re.compile(r"^\d+(?:\.\d+)?$")
_WHOLE = re.compile(r"^(\d{1,4})(?:\.0+)?$")
_TERM = re.compile(r"^(\d{1,4})(?:\.0+)?(?:\s*(?:months?|mos?\.?))?$", re.IGNORECASE)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_BASE64_DAMAGE = (
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64LengthDefect,
)
_XLSX_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
}
_CSV_TYPES = {"text/csv", "application/csv", "text/comma-separated-values", "text/x-csv"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_RESEND = "Send the order again: the form in the email text, or attached as a CSV or XLSX file."


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # the Message-ID header without its angle brackets; "sha256:<hex of the raw bytes>" if absent
    request: dict  # a TMF622 ProductOrder_Create-shaped dict, channel email, externalId = message_id
    findings: list[Finding]  # INCOMPLETE_DATA for every part that could not be read
    refusal: str | None = None  # why the email is not read at all: it is built to exhaust the reader


class _Refused(Exception):
    """The email is not an order email but a load on the reader: it is refused whole, with this reason."""


def parse_order_email(raw: bytes) -> ParsedEmail:
    """The order the email stands for, and what of it could not be read (or why it was refused). Never raises."""
    try:
        raw = raw if isinstance(raw, bytes) else _as_bytes(raw)
    except Exception:
        raw = b""
    reading = _Reading()
    message_id = email_message_id(raw)
    try:
        if len(_DELIMITER_LINE.findall(raw)) > 2 * MAX_PARTS:  # each part has one delimiter line (and a closing one)
            raise _Refused(f"the email has more than {MAX_PARTS} MIME parts")
        _read_message(email.message_from_bytes(raw, policy=email.policy.default), reading)
    except _Refused as refused:
        return ParsedEmail(message_id=message_id, request={}, findings=[], refusal=str(refused))
    except Exception:
        reading.add(
            "message",
            "the email could not be read as an email message, so parts of it may be missing",
            _RESEND,
        )
    return _result(message_id, reading)


def email_sender(raw: bytes) -> str | None:
    """The address the order email is from (its From header, lower case), or None when it names none."""
    try:
        from_header = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw).get("From")
    except Exception:
        return None
    _, address = email.utils.parseaddr(str(from_header or ""))
    return address.lower() if "@" in address else None


# -- what was read ----------------------------------------------------------------------------------------------


@dataclass
class _Value:
    text: str
    path: str


@dataclass
class _RawItem:
    """One item as written: each form column with its values (Characteristic may repeat) and where each was."""

    at: str
    cells: dict[str, list[_Value]] = field(default_factory=dict)

    def add(self, column: str, text: str, path: str) -> None:
        if text:
            self.cells.setdefault(column, []).append(_Value(text, path))

    def first(self, column: str) -> _Value | None:
        values = self.cells.get(column)
        return values[0] if values else None


@dataclass
class _Reading:
    fields: dict[str, _Value] = field(default_factory=dict)
    reps: list[_Value] = field(default_factory=list)
    body_items: dict[int, _RawItem] = field(default_factory=dict)
    sheet_items: list[_RawItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def add(self, path: str, message: str, fix: str) -> None:
        self.findings.append(Finding(reason_code=INCOMPLETE, field_path=_clean(path), message=_clean(message), fix=fix))


def _clean(value):
    """The value with its strings made storable: no control characters, undecodable characters as U+FFFD."""
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if not isinstance(value, str):
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeError:
        data = value.encode("utf-8", "surrogatepass")
    return _CONTROL.sub("", data.decode("utf-8", "replace"))


def _quoted(text: str | None) -> str:
    """A value as quoted in a finding's message, shortened when long."""
    text = text or ""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _as_bytes(raw) -> bytes:
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return bytes(raw)


# -- walking the MIME parts -------------------------------------------------------------------------------------


def _read_message(message: Message, reading: _Reading) -> None:
    plain: list[str] = []
    html: list[str] = []
    for index, part in enumerate(message.walk()):
        if index >= MAX_PARTS:
            raise _Refused(f"the email has more than {MAX_PARTS} MIME parts")
        try:
            _read_part(index, part, reading, plain, html)
        except _Refused:
            raise
        except Exception:
            reading.add(
                f"part[{index}]",
                f"part {index} of the email ({_content_type(part)}) could not be read",
                _RESEND,
            )
    for text in plain or [_html_text(page) for page in html]:
        _read_body(text, reading)


def _read_part(index: int, part: Message, reading: _Reading, plain: list[str], html: list[str]) -> None:
    if part.is_multipart():
        return
    content_type = _content_type(part)
    if content_type.startswith("multipart/"):
        # The boundary never appears: the parts cannot be told apart. Read the field lines in the raw text.
        reading.add(
            "message",
            "the email's parts could not be separated (its MIME boundary never appears), so its attachments "
            "could not be read and its text was read as it stands",
            "Check the order's fields, and send the order again if anything is missing.",
        )
        payload = part.get_payload()
        raw_text = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        plain.append(_decode(raw_text, None)[0])
        return
    filename = _filename(part)
    kind = _form_kind(part, filename)
    data = part.get_payload(decode=True)
    data = data if isinstance(data, bytes) else b""
    damaged = any(isinstance(defect, _BASE64_DAMAGE) for defect in part.defects)
    if kind is not None:
        name = filename or f"part {index}"
        if damaged:
            reading.add(
                f"attachment[{name}]",
                f"the attached file {name} is damaged (its encoding is broken or cut off), so its rows were not read",
                "Attach the order form again to a new email.",
            )
        else:
            _read_attachment(name, kind, data, part, reading)
        return
    if content_type not in ("text/plain", "text/html") or part.get_content_disposition() == "attachment":
        return
    text = _decoded_text(data, part, reading)
    if damaged:
        reading.add(
            "body",
            "the email text is damaged (its encoding is broken or cut off), so some of its lines may be missing",
            "Check the order's fields, or send the order again.",
        )
    if content_type == "text/plain":
        plain.append(_unflowed(text, part))
    else:
        html.append(text)


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    if not name:
        return None
    name = " ".join(str(name).replace("[", "(").replace("]", ")").split())
    return name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or None


def _form_kind(part: Message, filename: str | None) -> str | None:
    """ "csv", "xlsx" or "xls" for an order-form attachment, None for anything else."""
    name = (filename or "").casefold()
    content_type = _content_type(part)
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".xlsx", ".xlsm")) or content_type in _XLSX_TYPES:
        return "xlsx"
    if content_type in _CSV_TYPES:
        return "csv"
    if name.endswith(".xls") or content_type == "application/vnd.ms-excel":  # Outlook sends CSV files as this too
        data = part.get_payload(decode=True) or b""
        if data.startswith(b"PK\x03\x04"):
            return "xlsx"
        return "xls" if data.startswith(b"\xd0\xcf\x11\xe0") else "csv"
    return None


def _decoded_text(data: bytes, part: Message, reading: _Reading, path: str = "body") -> str:
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    text, misread_as = _decode(data, declared)
    if misread_as:
        reading.add(
            path,
            f"the {'email text' if path == 'body' else 'file'} says it is written in {_quoted(declared)} but is not; "
            f"it was read as {misread_as}, so accented letters may be wrong",
            "Check names and addresses on the order for misread letters.",
        )
    return text


def _decode(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """The text, and the encoding it was read in when the declared one is unknown or does not fit (else None)."""
    declared_failed = False
    if declared:
        try:
            codecs.lookup(declared)
            return data.decode(declared), None
        except Exception:  # unknown, not a text encoding, or not what the bytes are written in
            declared_failed = True
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeError:
            continue
    else:
        encoding, text = "latin-1", data.decode("latin-1")
    misread = declared_failed and not data.isascii()
    return text, ({"utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}.get(encoding, "Latin-1") if misread else None)


def _unflowed(text: str, part: Message) -> str:
    """RFC 3676 format=flowed text with its soft line breaks joined."""
    try:
        if (part.get_param("format") or "").casefold() != "flowed":
            return text
        delsp = (part.get_param("delsp") or "").casefold() == "yes"
    except Exception:
        return text
    lines: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.startswith(" "):
            line = line[1:]
        if line.endswith(" ") and line != "-- ":
            pending += line[:-1] if delsp else line
            continue
        lines.append(pending + line)
        pending = ""
    if pending:
        lines.append(pending)
    return "\n".join(lines)


class _HtmlText(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_text(page: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(page)
        parser.close()
    except Exception:
        pass
    return "".join(parser.parts)


# -- the body's field lines -------------------------------------------------------------------------------------


def _key(name: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", name.casefold()))


def _read_body(text: str, reading: _Reading) -> None:
    for line in text.splitlines():
        stripped = line.strip()
        if _STOP.match(line.rstrip("\r")) or _STOP.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        key, value = _key(match["name"]), " ".join(match["value"].split())
        if not value:
            continue
        if item := _ITEM_KEY.match(key):
            column = _COLUMNS.get(item[2])
            if column:
                number = int(item[1])
                raw = reading.body_items.setdefault(number, _RawItem(at=f"body.item[{number}]"))
                raw.add(column, value, f"body.item[{number}].{column}")
            continue
        name = _FIELDS.get(key)
        if name == "Sales Rep":
            reading.reps.extend(
                _Value(rep, "body.Sales Rep") for rep in re.split(r"\s*[;,]\s*|\s+and\s+", value) if rep
            )
        elif name and name not in reading.fields:
            reading.fields[name] = _Value(value, f"body.{name}")


# -- attachments ------------------------------------------------------------------------------------------------


def _read_attachment(name: str, kind: str, data: bytes, part: Message, reading: _Reading) -> None:
    at = f"attachment[{name}]"
    if kind == "xls":
        reading.add(
            at,
            f"{name} is an old-style Excel file (.xls), which cannot be read",
            "Save the order form as .xlsx (or CSV) and attach it to a new email.",
        )
        return
    if kind == "xlsx":
        _check_unpacked_size(name, data)
        rows = _xlsx_rows(data)
        if rows is None:
            reading.add(
                at,
                f"{name} could not be opened as an Excel workbook (it is damaged, password-protected or not "
                "really .xlsx), so its rows were not read",
                "Save the order form again as .xlsx (or CSV) and attach it to a new email.",
            )
            return
    else:
        rows = _csv_rows(_decoded_text(data, part, reading, at), name, reading)
    _read_rows(name, rows, reading)


def _check_unpacked_size(name: str, data: bytes) -> None:
    """Refuse an .xlsx that would unpack to more than any order form, by its zip directory (read, not unpacked).

    A damaged zip is left for openpyxl to report as unreadable. zipfile never unpacks an entry past the
    size its directory declares, so the declared sizes are the most openpyxl can be made to hold.
    """
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    if len(entries) > MAX_XLSX_ENTRIES:
        raise _Refused(f"the attached file {name} holds {len(entries)} files, more than an order form can")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise _Refused(
            f"the attached file {name} unpacks to {unpacked} bytes, more than the {MAX_XLSX_UNPACKED_BYTES} "
            "an order form can"
        )


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]] | None:
    """The rows of the first sheet with an item column, each with its row number; None if unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = list(workbook.worksheets)
                active = workbook.active
                if active in sheets:
                    sheets.remove(active)
                    sheets.insert(0, active)
                first: list[tuple[int, list[str]]] | None = None
                for sheet in sheets:
                    rows = _sheet_rows(sheet)
                    if first is None:
                        first = rows
                    if _has_item_column(_header(rows)[1]):
                        return rows
                return first or []
            finally:
                workbook.close()
    except Exception:
        return None


def _sheet_rows(sheet) -> list[tuple[int, list[str]]]:
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    rows = []
    for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
        cells = [_cell_text(getattr(cell, "value", None), getattr(cell, "number_format", None)) for cell in row]
        rows.append((number, cells))
        if len(rows) > MAX_ROWS + 50:
            break
    return rows


def _cell_text(value, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            if number_format and "%" in number_format:
                number *= 100
            return format(number.quantize(Decimal("0.000001")).normalize(), "f")
        except (InvalidOperation, ValueError):
            return str(value)
    return " ".join(str(value).split())


def _csv_rows(text: str, name: str, reading: _Reading) -> list[tuple[int, list[str]]]:
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    offset = 0
    if sep := re.match(r"^sep=(.)$", first.strip()):  # Excel's delimiter hint line
        delimiter, offset = sep[1], 1
        text = text.split("\n", 1)[1] if "\n" in text else ""
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = offset
    try:
        for row in reader:
            number += 1
            rows.append((number, [" ".join(cell.split()) for cell in row]))
            if len(rows) > MAX_ROWS + 50:
                break
    except (csv.Error, ValueError) as error:
        reading.add(
            f"attachment[{name}].row[{number + 1}]",
            f"{name} could not be read from row {number + 1} on ({error}), so those rows were not read",
            "Save the order form again as CSV (or .xlsx) and attach it to a new email.",
        )
    return rows


def _header(rows: list[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The column-name row: the first of the top rows naming an item column (a title may stand above it), else the
    first non-empty row."""
    filled = [(number, cells) for number, cells in rows[:50] if any(cells)]
    for number, cells in filled[:20]:
        if _has_item_column(cells):
            return number, cells
    return filled[0] if filled else (1, [])


def _has_item_column(cells: list[str]) -> bool:
    return bool({_COLUMNS.get(_key(cell)) for cell in cells} & {"Offering", "Existing Product Id"})


def _read_rows(name: str, rows: list[tuple[int, list[str]]], reading: _Reading) -> None:
    at = f"attachment[{name}]"
    header_number, header = _header(rows)
    if not header:
        reading.add(at, f"{name} is empty", "Attach the filled-in order form to a new email.")
        return
    columns: dict[int, str] = {}
    seen: set[str] = set()
    for index, title in enumerate(header):
        if not title:
            continue
        key = _key(title)
        column = _COLUMNS.get(key) or ("Characteristic" if re.fullmatch(r"characteristic \d+", key) else None)
        if column is None:
            reading.add(
                f"{at}.row[{header_number}].{title}",
                f"the column {_quoted(title)} in {name} is not on the order form, so its values were ignored",
                f"Use the order form's columns ({_FORM_COLUMNS}); put a characteristic in the Characteristic "
                "column as name=value, e.g. bandwidth_mbps=500.",
            )
        elif column in seen and column != "Characteristic":
            reading.add(
                f"{at}.row[{header_number}].{title}",
                f"{name} has the column {column} twice; the second one was ignored",
                f"Keep one {column} column.",
            )
        else:
            columns[index] = column
            seen.add(column)
    if not seen & {"Offering", "Existing Product Id"}:
        reading.add(
            f"{at}.row[{header_number}].Offering",
            f"{name} has no Offering column, so none of its rows could be read as order items",
            f"Use the order form's columns ({_FORM_COLUMNS}), with the product offering id (e.g. DIA-FIBER) "
            "of each item in the Offering column.",
        )
        return
    count = 0
    for number, cells in rows:
        if number <= header_number:
            continue
        item = _RawItem(at=f"{at}.row[{number}]")
        for index, column in columns.items():
            if index < len(cells):
                item.add(column, cells[index], f"{at}.row[{number}].{column}")
        if not item.cells:
            continue
        if count == MAX_ROWS:
            reading.add(
                f"{at}.row[{number}]",
                f"{name} has more than {MAX_ROWS} items; only the first {MAX_ROWS} were read",
                "Split the order into several orders.",
            )
            return
        reading.sheet_items.append(item)
        count += 1


# -- the TMF622 request -----------------------------------------------------------------------------------------


def _result(message_id: str, reading: _Reading) -> ParsedEmail:
    findings = reading.findings
    request: dict = {"externalId": message_id, "channel": [{"name": "email"}]}
    try:
        _build(request, reading)
    except Exception:  # a guard: the readers above already keep every value well-formed
        reading.add("message", "part of the order form could not be read", "Check the order's fields.")
    return ParsedEmail(message_id=message_id, request=_clean(request), findings=findings)


def _build(request: dict, reading: _Reading) -> None:
    fields = reading.fields
    order_type = fields.get("Order Type")
    if order_type is None:
        reading.add("orderType", "the email does not say the order type", _order_type_fix())
    elif (known := _ORDER_TYPES.get(" ".join(order_type.text.casefold().split()))) is None:
        reading.add("orderType", f"{_quoted(order_type.text)} is not an order type", _order_type_fix())
    else:
        request["orderType"] = known
    if requested := _date_of(fields.get("Requested Date"), reading):
        request["requestedCompletionDate"] = requested
    request["relatedParty"] = [_customer(reading), *_contact(fields), *_reps(reading)]
    if agreement := _agreement(reading):
        request["agreement"] = [agreement]
    if (ciac := _amount_of(fields.get("CIAC"), "customer contribution (CIAC)", reading)) is not None:
        request["orderTotalPrice"] = [{"name": "CIAC", "priceType": "ciac", "price": _money(ciac)}]
    raw_items = [reading.body_items[number] for number in sorted(reading.body_items)] + reading.sheet_items
    items = [_item(str(index), raw, reading) for index, raw in enumerate(raw_items, start=1)]
    if items:
        request["productOrderItem"] = items
    else:
        reading.add(
            "productOrderItem",
            "no order item could be read from the email",
            "List each item as 'Item 1 Offering: DIA-FIBER' lines (with its address, MRC and term), or attach the "
            "order form as a CSV or XLSX file with one row per item.",
        )


def _order_type_fix() -> str:
    return "Add a line 'Order Type: new' (or add, change, renewal, move, transfer, disconnect) to the email."


def _customer(reading: _Reading) -> dict:
    fields = reading.fields
    customer: dict = {"role": "customer"}
    for name, key in (("Account Number", "id"), ("Customer Name", "name"), ("Tax ID", "taxId")):
        if value := fields.get(name):
            customer[key] = value.text.upper() if key == "id" else value.text
    billing = _place(
        fields.get("Billing Street"),
        fields.get("Billing City"),
        fields.get("Billing State"),
        fields.get("Billing ZIP"),
        "body.Billing ",
        "the client's billing address",
        reading,
    )
    if billing:
        customer["billingAddress"] = billing
    return customer


def _contact(fields: dict[str, _Value]) -> list[dict]:
    contact: dict = {"role": "contact"}
    if name := fields.get("Contact Name"):
        contact["name"] = name.text
    if mail := fields.get("Contact Email"):
        address = _EMAIL.search(mail.text)
        contact["email"] = address[0].rstrip(".") if address else mail.text
    if phone := fields.get("Contact Phone"):
        contact["phone"] = re.sub(r"\s*<[^<>]*>", "", phone.text) or phone.text  # drop a mail program's <tel:...>
    return [contact] if len(contact) > 1 else []


def _reps(reading: _Reading) -> list[dict]:
    parties = []
    for value in reading.reps:
        match = _REP.match(value.text.strip("()[] "))
        if not match:
            continue
        rep = match["rep"].strip()
        party = {"role": "salesRep", "id": rep.lower() if _REP_ID.match(rep) else rep}
        if match["percent"] and Decimal(match["percent"]) > 100:
            reading.add(
                value.path,
                f"the commission split {match['percent']}% of {party['id']} is more than 100%",
                "Give each rep's split as a percent of the order; the splits add up to 100.",
            )
        elif match["percent"]:
            party["splitPercent"] = match["percent"]
        parties.append(party)
    return parties


def _agreement(reading: _Reading) -> dict:
    fields = reading.fields
    agreement: dict = {}
    if contract := fields.get("Contract Id"):
        agreement["id"] = contract.text
    if (term := _term_of(fields.get("Term Months"), reading)) is not None:
        agreement["termMonths"] = term
    if signed := _date_of(fields.get("Signed Date"), reading):
        agreement["signedDate"] = signed
    return agreement


def _item(item_id: str, raw: _RawItem, reading: _Reading) -> dict:
    offering = raw.first("Offering")
    item: dict = {
        "id": item_id,
        "action": _action(raw.first("Action"), reading),
        "productOffering": {"id": offering.text.upper() if offering else ""},
    }
    if (quantity := raw.first("Quantity")) is not None:
        if match := _WHOLE.match(quantity.text):
            item["quantity"] = int(match[1])
        else:
            reading.add(
                quantity.path,
                f"the quantity {_quoted(quantity.text)} is not a whole number",
                "Give the quantity as a whole number, e.g. 1.",
            )
    product: dict = {"productCharacteristic": _characteristics(raw.cells.get("Characteristic", []), reading)}
    if existing := raw.first("Existing Product Id"):
        product["id"] = existing.text
    place = _place(
        raw.first("Street"),
        raw.first("City"),
        raw.first("State"),
        raw.first("ZIP"),
        f"{raw.at}.",
        "the item's service address",
        reading,
    )
    if place:
        product["place"] = [{"role": "serviceLocation", **place}]
    item["product"] = product
    item["itemPrice"] = _prices(raw, reading)
    if (term := _term_of(raw.first("Term Months"), reading)) is not None:
        item["itemTerm"] = [{"duration": {"amount": term, "units": "month"}}]
    return item


def _action(value: _Value | None, reading: _Reading) -> str:
    if value is None:
        return ItemAction.ADD.value
    action = _ACTIONS.get(" ".join(value.text.casefold().split())) or _ACTIONS.get(
        "".join(value.text.casefold().split())
    )
    if action is None:
        reading.add(
            value.path,
            f"{_quoted(value.text)} is not an item action, so the item was taken as add",
            "Give the action as add, modify, delete or noChange.",
        )
        return ItemAction.ADD.value
    return action


def _characteristics(values: list[_Value], reading: _Reading) -> list[dict]:
    characteristics: dict[str, str | int] = {}
    for value in values:
        for pair in re.split(r"\s*;\s*", value.text):
            if not pair:
                continue
            match = re.match(r"^([^=:]+?)\s*[=:]\s*(.+)$", pair)
            if not match:
                reading.add(
                    value.path,
                    f"the characteristic {_quoted(pair)} is not written as name=value",
                    "Write each characteristic as name=value, e.g. bandwidth_mbps=500; separate several with ';'.",
                )
                continue
            name, setting = "_".join(match[1].casefold().split()), match[2].strip()
            characteristics.setdefault(name, int(setting) if setting.isdecimal() else setting)
    return [{"name": name, "value": setting} for name, setting in characteristics.items()]


def _place(street, city, state, postcode, prefix: str, what: str, reading: _Reading) -> dict | None:
    """A TMF place from the address values; None (with a finding when some were given) without street and city."""
    given = {"Street": street, "City": city, "State": state, "ZIP": postcode}
    if not any(given.values()):
        return None
    missing = [name for name in ("Street", "City") if given[name] is None]
    if missing:
        reading.add(
            f"{prefix}{missing[0]}",
            f"{what} has no {' or '.join(name.lower() for name in missing)}, so it could not be used",
            "Give the street with its number, the city, the state and the ZIP code.",
        )
        return None
    number, _, rest = street.text.partition(" ")
    place = {"streetNr": number, "streetName": rest} if rest and number[:1].isdigit() else {"streetName": street.text}
    place["city"] = city.text
    if state:
        place["stateOrProvince"] = state.text
    if postcode:
        place["postcode"] = postcode.text.zfill(5) if postcode.text.isdecimal() else postcode.text
    return place


def _prices(raw: _RawItem, reading: _Reading) -> list[dict]:
    prices = []
    mrc = _amount_of(raw.first("MRC"), "monthly recurring charge (MRC)", reading)
    discount = _amount_of(raw.first("Discount %"), "discount percent", reading)
    promotion = raw.first("Promotion Code")
    if mrc is not None or discount is not None or promotion is not None:
        recurring: dict = {"priceType": "recurring", "price": _money(mrc) if mrc is not None else {}}
        recurring["priceAlteration"] = (
            [{"priceType": "discount", "price": {"percentage": discount}}] if discount is not None else []
        )
        if promotion is not None:
            recurring["priceAlteration"].append({"priceType": "promotion", "name": promotion.text.upper(), "price": {}})
        prices.append(recurring)
    if (nrc := _amount_of(raw.first("NRC"), "one-time charge (NRC)", reading)) is not None:
        prices.append({"priceType": "nonRecurring", "price": _money(nrc)})
    return prices


def _money(amount: str) -> dict:
    return {"dutyFreeAmount": {"unit": "USD", "value": amount}}


def _amount_of(value: _Value | None, what: str, reading: _Reading) -> str | None:
    if value is None:
        return None
    text = re.sub(r"(?i)usd|[$,%\s]", "", value.text)
    if _AMOUNT.match(text):
        return text
    reading.add(
        value.path,
        f"the {what} {_quoted(value.text)} is not a number",
        f"Give the {what} as a plain number, e.g. 1350.00.",
    )
    return None


def _term_of(value: _Value | None, reading: _Reading) -> int | None:
    if value is None:
        return None
    match = _TERM.match(value.text)
    if match and int(match[1]) >= 1:
        return int(match[1])
    reading.add(
        value.path,
        f"the term {_quoted(value.text)} is not a number of months",
        "Give the term in months as a number: 12, 24, 36 or 60.",
    )
    return None


def _date_of(value: _Value | None, reading: _Reading) -> str | None:
    if value is None:
        return None
    text = value.text.strip()
    try:
        if us := _US_DATE.match(text):
            return date(int(us[3]), int(us[1]), int(us[2])).isoformat()
        if iso := re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$", text):
            return date.fromisoformat(iso[1]).isoformat()
    except ValueError:
        pass
    reading.add(value.path, f"the date {_quoted(text)} could not be read", "Give the date as 2027-01-29 or 1/29/2027.")
    return None

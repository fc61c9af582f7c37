"""Walking the email's MIME parts: the text bodies go to the body reader, order-form attachments to theirs.

Every question put to Python's email library goes through `_ask`: on a malformed header or a deeply nested
message it raises more than its documented errors, and each of those becomes `UnreadableMime`, which a caller
turns into a finding, or into a stand-in answer where one reads as well: text/plain for an unreadable
Content-Type, no charset, no file name, no format=flowed.
"""

import email
import email.errors
import email.parser
import email.policy
import email.utils
import re
from collections.abc import Callable
from email.message import Message
from typing import TypeVar

from intake.channels.email.attachments import read_attachment
from intake.channels.email.body import read_body
from intake.channels.email.reading import RESEND, Reading, Refused
from intake.channels.email.text import decoded_text, html_text, unflowed

# An order email has a body and an attachment or two; far more parts is a message made to exhaust the reader.
MAX_PARTS = 100
# Lines that may open a MIME part ("--boundary"): counted in the raw bytes before anything is parsed.
_DELIMITER_LINE = re.compile(rb"^--", re.MULTILINE)
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

Answer = TypeVar("Answer")


class UnreadableMime(Exception):
    """Python's email library could not read the message, or a part's payload or header."""


def _ask(question: Callable[[], Answer]) -> Answer:
    """The email library's answer to one question about the message or a part; UnreadableMime when it fails."""
    try:
        return question()
    # The library parses headers lazily and, on hostile input, raises what its parser happens to hit: IndexError
    # on a broken parameter list, RecursionError on messages nested thousands deep, HeaderParseError...
    except Exception as error:
        raise UnreadableMime(f"{type(error).__name__}: {error}") from error


def email_sender(raw: bytes) -> str | None:
    """The address the order email is from (its From header, lower case), or None when it names none."""
    try:
        from_header = _ask(
            lambda: email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw).get("From")
        )
    except UnreadableMime:
        return None
    _, address = email.utils.parseaddr(str(from_header or ""))
    return address.lower() if "@" in address else None


def read_message(raw: bytes, reading: Reading) -> None:
    """Every part of the email into `reading`; Refused when the email is built to exhaust the reader."""
    if len(_DELIMITER_LINE.findall(raw)) > 2 * MAX_PARTS:  # each part has one delimiter line (and a closing one)
        raise Refused(f"the email has more than {MAX_PARTS} MIME parts")
    try:
        message = _ask(lambda: email.message_from_bytes(raw, policy=email.policy.default))
    except UnreadableMime:
        reading.add("message", "the email could not be read as an email message, so parts of it may be missing", RESEND)
        return
    plain: list[str] = []
    html: list[str] = []
    for index, part in enumerate(message.walk()):
        if index >= MAX_PARTS:
            raise Refused(f"the email has more than {MAX_PARTS} MIME parts")
        try:
            _read_part(index, part, reading, plain, html)
        except UnreadableMime:
            reading.add(
                f"part[{index}]", f"part {index} of the email ({_content_type(part)}) could not be read", RESEND
            )
    for text in plain or [html_text(page) for page in html]:
        read_body(text, reading)


def _read_part(index: int, part: Message, reading: Reading, plain: list[str], html: list[str]) -> None:
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
        payload = _ask(part.get_payload)
        raw_text = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        plain.append(decoded_text(raw_text, None, reading))
        return
    filename = _filename(part)
    kind = _form_kind(part, filename)
    data = _payload(part)
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
            read_attachment(name, kind, data, _charset(part), reading)
        return
    if content_type not in ("text/plain", "text/html") or _ask(part.get_content_disposition) == "attachment":
        return
    text = decoded_text(data, _charset(part), reading)
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


def _payload(part: Message) -> bytes:
    """The part's bytes, its transfer encoding undone."""
    data = _ask(lambda: part.get_payload(decode=True))
    return data if isinstance(data, bytes) else b""


def _content_type(part: Message) -> str:
    try:
        return _ask(part.get_content_type)
    except UnreadableMime:
        return "text/plain"  # what RFC 2045 takes a part without a (readable) Content-Type for


def _charset(part: Message) -> str | None:
    try:
        return _ask(part.get_content_charset)
    except UnreadableMime:
        return None  # read as if none were declared


def _filename(part: Message) -> str | None:
    try:
        name = _ask(part.get_filename)
    except UnreadableMime:
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
        data = _payload(part)
        if data.startswith(b"PK\x03\x04"):
            return "xlsx"
        return "xls" if data.startswith(b"\xd0\xcf\x11\xe0") else "csv"
    return None


def _unflowed(text: str, part: Message) -> str:
    """The text with format=flowed soft breaks joined; as it stands when the part does not say so (readably)."""
    try:
        format_param, delsp_param = _ask(lambda: (part.get_param("format"), part.get_param("delsp")))
    except UnreadableMime:
        return text
    # An RFC 2231-encoded parameter comes back as a (charset, language, value) tuple: the text is left as it stands.
    if not all(isinstance(param, str | None) for param in (format_param, delsp_param)):
        return text
    if (format_param or "").casefold() != "flowed":
        return text
    return unflowed(text, delsp=(delsp_param or "").casefold() == "yes")

"""The rows of an order form attached as XLSX: the first sheet with an item column (the active sheet first), its
cells as the spreadsheet shows them (a percent cell of 0.12 as 12)."""

import io
import warnings
import zipfile
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice

from intake.channels.email.form import ROWS_READ, Rows, has_item_column, header
from intake.channels.email.reading import Refused

# An .xlsx is a zip: what it holds unpacked is checked before openpyxl unpacks it (an order form is a few
# hundred KB unpacked; a "zip bomb" of 100 KB unpacks to gigabytes).
MAX_XLSX_ENTRIES = 200
MAX_XLSX_UNPACKED_BYTES = 20 * 1024 * 1024


class UnreadableWorkbook(Exception):
    """openpyxl could not open or read the workbook: it is damaged, password-protected or not really .xlsx."""


def xlsx_rows(name: str, data: bytes) -> Rows:
    """The rows of the first sheet with an item column (else of the first sheet); Refused for a zip bomb."""
    # Imported on the first XLSX form, not at start: openpyxl holds 9.5 MiB resident, a fifteenth of intake's memory
    # budget, and most intakes never read a spreadsheet.
    from openpyxl import load_workbook

    _check_unpacked_size(name, data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions and styles an order form does not need
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return _form_sheet_rows(workbook)
            finally:
                workbook.close()
    # openpyxl reads the zip, its XML and each cell lazily, and a damaged or foreign file fails wherever it breaks:
    # BadZipFile, KeyError for a missing part, InvalidFileException, XML parse errors, ValueError, TypeError...
    except Exception as error:
        raise UnreadableWorkbook(f"{type(error).__name__}: {error}") from error


def _check_unpacked_size(name: str, data: bytes) -> None:
    """Refuse an .xlsx that would unpack to more than any order form, by its zip directory (read, not unpacked).

    A damaged zip is left for openpyxl to report as unreadable. zipfile never unpacks an entry past the
    size its directory declares, so the declared sizes are the most openpyxl can be made to hold.
    """
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    # ValueError: an offset before the start or a name that is not UTF-8; NotImplementedError: a zip version
    # past what zipfile reads
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return
    if len(entries) > MAX_XLSX_ENTRIES:
        raise Refused(f"the attached file {name} holds {len(entries)} files, more than an order form can")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise Refused(
            f"the attached file {name} unpacks to {unpacked} bytes, more than the {MAX_XLSX_UNPACKED_BYTES} "
            "an order form can"
        )


def _form_sheet_rows(workbook) -> Rows:
    sheets = list(workbook.worksheets)
    active = workbook.active
    if active in sheets:
        sheets.remove(active)
        sheets.insert(0, active)
    first: Rows | None = None
    for sheet in sheets:
        rows = _sheet_rows(sheet)
        if first is None:
            first = rows
        if has_item_column(header(rows)[1]):
            return rows
    return first or []


def _sheet_rows(sheet) -> Rows:
    if hasattr(sheet, "reset_dimensions"):  # a read-only sheet trusts its stored size, which may be wrong
        sheet.reset_dimensions()
    rows = islice(sheet.iter_rows(min_row=1), ROWS_READ)
    return [
        (number, [_cell_text(getattr(cell, "value", None), getattr(cell, "number_format", None)) for cell in row])
        for number, row in enumerate(rows, start=1)
    ]


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
        except (InvalidOperation, ValueError):  # too many digits to quantize, or an infinity
            return str(value)
    return " ".join(str(value).split())

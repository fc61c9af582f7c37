"""An attached order form: its rows read by the CSV or XLSX reader, then each row below the column names as an item."""

import re

from intake.channels.email.csv_form import csv_rows
from intake.channels.email.form import COLUMNS, FORM_COLUMNS, ITEM_COLUMNS, MAX_ROWS, Rows, header, key
from intake.channels.email.reading import RawItem, Reading, quoted
from intake.channels.email.text import decoded_text
from intake.channels.email.xlsx_form import UnreadableWorkbook, xlsx_rows


def read_attachment(name: str, kind: str, data: bytes, declared_charset: str | None, reading: Reading) -> None:
    """The attachment's items into `reading` (kind "csv", "xlsx" or "xls"); Refused for an XLSX zip bomb."""
    at = f"attachment[{name}]"
    if kind == "xls":
        reading.add(
            at,
            f"{name} is an old-style Excel file (.xls), which cannot be read",
            "Save the order form as .xlsx (or CSV) and attach it to a new email.",
        )
        return
    if kind == "xlsx":
        try:
            rows = xlsx_rows(name, data)
        except UnreadableWorkbook:
            reading.add(
                at,
                f"{name} could not be opened as an Excel workbook (it is damaged, password-protected or not "
                "really .xlsx), so its rows were not read",
                "Save the order form again as .xlsx (or CSV) and attach it to a new email.",
            )
            return
    else:
        rows = csv_rows(decoded_text(data, declared_charset, reading, at), name, reading)
    _read_rows(name, rows, reading)


def _read_rows(name: str, rows: Rows, reading: Reading) -> None:
    at = f"attachment[{name}]"
    header_number, titles = header(rows)
    if not titles:
        reading.add(at, f"{name} is empty", "Attach the filled-in order form to a new email.")
        return
    columns: dict[int, str] = {}
    seen: set[str] = set()
    for index, title in enumerate(titles):
        if not title:
            continue
        title_key = key(title)
        column = COLUMNS.get(title_key) or (
            "Characteristic" if re.fullmatch(r"characteristic \d+", title_key) else None
        )
        if column is None:
            reading.add(
                f"{at}.row[{header_number}].{title}",
                f"the column {quoted(title)} in {name} is not on the order form, so its values were ignored",
                f"Use the order form's columns ({FORM_COLUMNS}); put a characteristic in the Characteristic "
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
    if not seen & ITEM_COLUMNS:
        reading.add(
            f"{at}.row[{header_number}].Offering",
            f"{name} has no Offering column, so none of its rows could be read as order items",
            f"Use the order form's columns ({FORM_COLUMNS}), with the product offering id (e.g. DIA-FIBER) "
            "of each item in the Offering column.",
        )
        return
    count = 0
    for number, cells in rows:
        if number <= header_number:
            continue
        item = RawItem(at=f"{at}.row[{number}]")
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

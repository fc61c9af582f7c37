"""The rows of an order form attached as CSV (comma, semicolon or tab separated, or as Excel's `sep=` line says)."""

import csv
import io
import re
from itertools import islice

from intake.channels.email.form import ROWS_READ, Rows
from intake.channels.email.reading import Reading


def csv_rows(text: str, name: str, reading: Reading) -> Rows:
    """The rows up to the first one the csv module cannot read (a finding names it and says why)."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    offset = 0
    if sep := re.match(r"^sep=(.)$", first.strip()):  # Excel's delimiter hint line
        delimiter, offset = sep[1], 1
        text = text.split("\n", 1)[1] if "\n" in text else ""
    rows: Rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(islice(reader, ROWS_READ), start=offset + 1):
            rows.append((number, [" ".join(cell.split()) for cell in row]))
    except csv.Error as error:  # a field past the csv module's size limit
        failed = offset + len(rows) + 1
        reading.add(
            f"attachment[{name}].row[{failed}]",
            f"{name} could not be read from row {failed} on ({error}), so those rows were not read",
            "Save the order form again as CSV (or .xlsx) and attach it to a new email.",
        )
    return rows

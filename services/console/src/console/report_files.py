"""A report as a file to download or send: CSV, or XLSX (openpyxl); each opens with the report's title, period and
filters, so a file read on its own says what it counts, then its notes, then the table."""

import csv
import io
from decimal import Decimal

from console.domain.reports import Cell, ColumnKind, Report

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_NUMBER_FORMATS = {
    ColumnKind.COUNT: "0",
    ColumnKind.MONEY: "#,##0.00",
    ColumnKind.HOURS: "0.00",
    ColumnKind.RATE: "0.00%",
}


def filename(report: Report, file_format: str) -> str:
    """The report's name and period: bookings_2026-11-01_2026-12-01.xlsx (the end day is not in the period)."""
    request = report.request
    return f"{request.name}_{request.start.isoformat()}_{request.end.isoformat()}.{file_format}"


def header_block(report: Report) -> list[list[str]]:
    """What the file is: title, period (its end excluded) and filters, then how the report counts."""
    request = report.request
    filters = "; ".join(f"{name}={value}" for name, value in sorted(request.filters.items())) or "none"
    return [
        ["Report", report.title],
        ["Period", f"{request.start.isoformat()} to {request.end.isoformat()} (end excluded)"],
        ["Filters", filters],
        *(["Note", note] for note in report.notes),
    ]


def as_csv(report: Report) -> bytes:
    """The report as UTF-8 CSV: the header block, a blank line, the table (money to the cent, rates as fractions)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows(header_block(report))
    writer.writerow([])
    writer.writerow([column.title for column in report.columns])
    writer.writerows([_csv_cell(cell) for cell in row] for row in report.rows)
    return text.getvalue().encode()


def _csv_cell(cell: Cell) -> str:
    return "" if cell is None else str(cell)


def as_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook of one sheet: the header block, a blank row, the table with its numbers as
    numbers (money in a 2-decimal format, rates as percentages)."""
    # Imported here: openpyxl is some megabytes the console need not hold until someone asks for a workbook.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = report.request.name
    for label, value in header_block(report):
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.append([])
    sheet.append([column.title for column in report.columns])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in report.rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
        for column, cell in zip(report.columns, sheet[sheet.max_row], strict=True):
            if column.kind in _NUMBER_FORMATS:
                cell.number_format = _NUMBER_FORMATS[column.kind]
    sheet.column_dimensions["A"].width = 24
    file = io.BytesIO()
    workbook.save(file)
    return file.getvalue()


def _xlsx_cell(cell: Cell) -> str | int | float | None:
    # A spreadsheet's numbers are doubles: a cent amount survives the trip (to 15 significant digits).
    return float(cell) if isinstance(cell, Decimal) else cell


def rendered(report: Report, file_format: str) -> bytes:
    """The report as the file `file_format` names: csv or xlsx."""
    return {"csv": as_csv, "xlsx": as_xlsx}[file_format](report)

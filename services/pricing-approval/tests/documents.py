"""Proposals as a rep would upload them, made for tests: a PDF of text lines, and a Word document of paragraphs
and an optional table."""

import io
from collections.abc import Sequence

import docx
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas


def pdf_of(lines: Sequence[str]) -> bytes:
    """One line a row, top down, on as many pages as they take."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER)
    top = LETTER[1] - 72
    for index, line in enumerate(lines):
        row = index % 45
        if index and not row:
            canvas.showPage()
        canvas.drawString(54, top - 14 * row, line)
    canvas.save()
    return buffer.getvalue()


def docx_of(paragraphs: Sequence[str], *, table: Sequence[Sequence[str]] = ()) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        cells = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(cells.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

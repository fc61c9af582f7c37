"""The text of a rep's proposal, from a real PDF or Word file; the type told by the content whatever the file is
called, and anything the desk cannot read refused with a reason the uploader can act on."""

import io
import zipfile

import pytest

from pricing_approval.rep_proposal_documents import (
    DOCX,
    MAX_DOCUMENT_BYTES,
    PDF,
    UnreadableDocument,
    read_document,
)

from ..documents import docx_of, pdf_of

ITEM_LINE = "Item 1: SIP trunking, 36 months, MRC $423.20, NRC $350.00"


def test_a_pdf_gives_its_lines_of_text():
    document = read_document(pdf_of(["Proposal for Lakeshore Logistics", ITEM_LINE]))

    assert document.media_type == PDF
    assert ITEM_LINE in document.text.splitlines()


def test_a_word_document_gives_its_paragraphs_and_its_table_rows():
    document = read_document(docx_of(["Proposal"], table=[["Item 1:", "SIP trunking", "MRC $423.20"]]))

    assert document.media_type == DOCX
    assert document.text.splitlines() == ["Proposal", "Item 1: SIP trunking MRC $423.20"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Item 1: SIP trunking, MRC $423.20", "neither a PDF nor a Word"),
        (b"%PDF-1.7\nnot really a pdf", "the PDF cannot be read"),
        (pdf_of([]), "no text in the document"),
        (b"PK\x03\x04 torn off", "cannot be read"),
        (b"x" * (MAX_DOCUMENT_BYTES + 1), "larger than 8 MB"),
    ],
    ids=["text", "broken-pdf", "blank-pdf", "broken-zip", "too-large"],
)
def test_what_cannot_be_read_is_refused_with_the_reason(content, reason):
    with pytest.raises(UnreadableDocument, match=reason):
        read_document(content)


def test_a_zip_that_is_not_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("proposal.txt", ITEM_LINE)

    with pytest.raises(UnreadableDocument, match="not a Word"):
        read_document(buffer.getvalue())

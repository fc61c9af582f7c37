"""The text of a proposal a rep uploads, PDF or DOCX: the type told by the file's content (its name and the type a
browser claims are not trusted), read with pypdf or python-docx; anything else, or a file they cannot read, is
refused with the reason."""

import io
import zipfile
from dataclasses import dataclass

# A proposal runs to a few pages; a larger file is more likely a scan or a mistake, and it is kept in the database.
# Below the upload body limit (max_upload_bytes, 10 MB by default), so that the refusal names the file.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
# A DOCX is a zip: its text part may unpack to much more than the file; past this it is refused unread.
MAX_DOCX_TEXT_PART_BYTES = 50 * 1024 * 1024
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_DOCX_TEXT_PART = "word/document.xml"


class UnreadableDocument(Exception):
    """The upload is not a proposal the desk can read; the message says why, for the person who uploaded it."""


@dataclass(frozen=True)
class ProposalDocument:
    media_type: str
    text: str


def read_document(content: bytes) -> ProposalDocument:
    """The document's type and text; UnreadableDocument when it is neither a PDF nor a DOCX, or has no text."""
    if len(content) > MAX_DOCUMENT_BYTES:
        raise UnreadableDocument(f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    if content.startswith(b"%PDF-"):
        document = ProposalDocument(PDF, _pdf_text(content))
    elif content.startswith(b"PK\x03\x04"):
        document = ProposalDocument(DOCX, _docx_text(content))
    else:
        raise UnreadableDocument("neither a PDF nor a Word (DOCX) document")
    if not document.text.strip():
        raise UnreadableDocument("no text in the document (a scanned image?): upload one whose text can be selected")
    return document


def _pdf_text(content: bytes) -> str:
    # Imported on the first upload, not at start: pypdf holds 20 MiB resident (python-docx 6), an eighth of the
    # service's memory for a page few of its processes ever serve.
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(content))
        encrypted = reader.is_encrypted
        text = "" if encrypted else "\n".join(page.extract_text() or "" for page in reader.pages)
    # A malformed file can fail anywhere in the parser: that is the upload's fault, to be told, never a 5xx.
    except Exception as error:
        raise UnreadableDocument(f"the PDF cannot be read: {error}") from error
    if encrypted:
        raise UnreadableDocument("the PDF is encrypted: upload it without a password")
    return text


def _docx_text(content: bytes) -> str:
    """The paragraphs, then each table's cells row by row (a proposal's items are often in a table)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            part_sizes = {part.filename: part.file_size for part in archive.infolist()}
    except zipfile.BadZipFile as error:
        raise UnreadableDocument(f"the Word document cannot be read: {error}") from error
    if _DOCX_TEXT_PART not in part_sizes:
        raise UnreadableDocument("a zip file, but not a Word (DOCX) document")
    if part_sizes[_DOCX_TEXT_PART] > MAX_DOCX_TEXT_PART_BYTES:
        raise UnreadableDocument("the Word document's text unpacks to more than the desk reads")
    import docx  # on the first DOCX, as pypdf above

    try:
        document = docx.Document(io.BytesIO(content))
    # As for a PDF: whatever a malformed file breaks in the parser is the upload's fault.
    except Exception as error:
        raise UnreadableDocument(f"the Word document cannot be read: {error}") from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        lines += [" ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)

"""A part's bytes as text: in the charset it declares (or the one it is really written in), with format=flowed
soft breaks joined, and an HTML body as its text."""

import codecs
import contextlib
from html.parser import HTMLParser

from intake.channels.email.reading import Reading, quoted


def decoded_text(data: bytes, declared: str | None, reading: Reading, path: str = "body") -> str:
    """The text, with a finding at `path` when it is not written in the charset it declares."""
    text, misread_as = _decode(data, declared)
    if misread_as:
        reading.add(
            path,
            f"the {'email text' if path == 'body' else 'file'} says it is written in {quoted(declared)} but is not; "
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
        # LookupError: unknown, or not a text encoding (base64); ValueError: a NUL in the name, or the bytes are
        # not written in it (UnicodeDecodeError and the other UnicodeErrors are ValueErrors).
        except (LookupError, ValueError):
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


def unflowed(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed text with its soft line breaks joined (the spaces before them too with delsp=yes)."""
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


def html_text(page: str) -> str:
    """The page's text, a line per block; up to where the page stops being HTML the parser can follow."""
    parser = _HtmlText()
    # html.parser raises AssertionError at a declaration or marked section it cannot follow (`<![foo`, `<!x [`);
    # the text before it counts.
    with contextlib.suppress(AssertionError):
        parser.feed(page)
        parser.close()
    return "".join(parser.parts)

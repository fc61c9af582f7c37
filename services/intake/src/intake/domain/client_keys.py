"""What a client is matched by: its legal name and its tax id, each written one way however they were typed."""

import re

_NOT_NAME = re.compile(r"[^0-9A-Z&]+")
_NOT_TAX_ID = re.compile(r"[^0-9A-Z]+")


def name_key(legal_name: str) -> str:
    """A legal name as matched: uppercase, punctuation and runs of spaces as one space ("Acme, Inc." = "ACME INC")."""
    return _NOT_NAME.sub(" ", legal_name.upper()).strip()


def tax_key(tax_id: str | None) -> str | None:
    """A tax id as matched: its digits and letters ("36-4182275" = "364182275")."""
    key = _NOT_TAX_ID.sub("", tax_id.upper()) if tax_id else ""
    return key or None

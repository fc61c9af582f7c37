"""The order form: its header fields and item columns as people write them, the rows a form reader (CSV or XLSX)
gives, and where a sheet's column names stand among them."""

import re

MAX_ROWS = 500  # item rows read from one attachment; an order form is never longer
# Rows a form reader takes from a sheet: its items and the title and column-name rows that may stand above them.
ROWS_READ = MAX_ROWS + 51

# A sheet's rows, each numbered as the spreadsheet shows it, as lists of cell texts.
Rows = list[tuple[int, list[str]]]

FIELDS = {
    "order type": "Order Type",
    "account number": "Account Number",
    "account": "Account Number",
    "account id": "Account Number",
    "account no": "Account Number",
    "customer name": "Customer Name",
    "legal name": "Customer Name",
    "billing street": "Billing Street",
    "billing city": "Billing City",
    "billing state": "Billing State",
    "billing zip": "Billing ZIP",
    "billing zip code": "Billing ZIP",
    "billing postcode": "Billing ZIP",
    "tax id": "Tax ID",
    "contact name": "Contact Name",
    "contact email": "Contact Email",
    "contact e mail": "Contact Email",
    "contact phone": "Contact Phone",
    "sales rep": "Sales Rep",
    "sales reps": "Sales Rep",
    "contract id": "Contract Id",
    "term months": "Term Months",
    "term": "Term Months",
    "signed date": "Signed Date",
    "ciac": "CIAC",
    "customer contribution": "CIAC",
    "requested date": "Requested Date",
    "requested completion date": "Requested Date",
}
COLUMNS = {
    "offering": "Offering",
    "offering id": "Offering",
    "product offering": "Offering",
    "product offering id": "Offering",
    "action": "Action",
    "quantity": "Quantity",
    "qty": "Quantity",
    "characteristic": "Characteristic",
    "characteristics": "Characteristic",
    "street": "Street",
    "city": "City",
    "state": "State",
    "zip": "ZIP",
    "zip code": "ZIP",
    "postcode": "ZIP",
    "mrc": "MRC",
    "nrc": "NRC",
    "discount": "Discount %",
    "discount percent": "Discount %",
    "term months": "Term Months",
    "term": "Term Months",
    "existing product id": "Existing Product Id",
    "promotion code": "Promotion Code",
    "promotion": "Promotion Code",
    "promo code": "Promotion Code",
}
FORM_COLUMNS = ", ".join(dict.fromkeys(COLUMNS.values()))
ITEM_COLUMNS = {"Offering", "Existing Product Id"}  # an attachment needs one of them for its rows to be items


def key(name: str) -> str:
    """A field or column name as looked up: lower case words, without spaces or punctuation around them."""
    return " ".join(re.findall(r"[a-z0-9]+", name.casefold()))


def header(rows: Rows) -> tuple[int, list[str]]:
    """The column-name row: the first of the top rows naming an item column (a title may stand above it), else the
    first non-empty row."""
    filled = [(number, cells) for number, cells in rows[:50] if any(cells)]
    for number, cells in filled[:20]:
        if has_item_column(cells):
            return number, cells
    return filled[0] if filled else (1, [])


def has_item_column(cells: list[str]) -> bool:
    return bool({COLUMNS.get(key(cell)) for cell in cells} & ITEM_COLUMNS)

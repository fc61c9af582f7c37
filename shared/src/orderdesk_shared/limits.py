"""Limits on what one request may carry, as data: every API request model takes them, so that no string,
list or page is unbounded. A request over a limit is refused at the field's path: 422, or 400 on a TMF route.

The canonical order events carry no limits of their own: their readers must go on reading every event
already recorded. What keeps them small is these limits at every edge, and the relay dead-letters the
rare event that still cannot be published.
"""

from typing import Annotated

from fastapi import Query
from pydantic import ConfigDict, Field

ID_CHARS = 100
# Every other string of a request: names, codes, addresses, emails.
NAME_CHARS = 200
NOTE_CHARS = 4000

ORDER_ITEMS = 100
RELATED_PARTIES = 20
CHARACTERISTICS = 50
# Any other list in a request: prices, terms, places, relationships, menu steps.
LIST_ENTRIES = 20

# How far a list endpoint pages; deeper offsets make the database walk and drop that many rows.
MAX_OFFSET = 100_000
MAX_PAGE_SIZE = 500

# The nesting a JSON merge-patch may have; an order is far shallower.
MAX_PATCH_DEPTH = 10

# Merged into a request model's config: the default limit for each of its strings (and dict keys).
REQUEST_LIMITS = ConfigDict(str_max_length=NAME_CHARS)

Identifier = Annotated[str, Field(max_length=ID_CHARS)]
Note = Annotated[str, Field(max_length=NOTE_CHARS)]

# A list endpoint's paging parameters: `offset: Offset = 0`, `limit: PageSize = 50`.
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"rows to skip, at most {MAX_OFFSET}")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


def nesting_depth(document: object) -> int:
    """How deeply a JSON document nests objects and arrays (a scalar is 0), without recursion."""
    deepest = 0
    pending = [(document, 1)] if isinstance(document, (dict, list)) else []
    while pending:
        value, depth = pending.pop()
        deepest = max(deepest, depth)
        children = value.values() if isinstance(value, dict) else value
        pending += [(child, depth + 1) for child in children if isinstance(child, (dict, list))]
    return deepest

"""The ids OrderDesk gives its events and outbox rows: UUIDv7 (RFC 9562), which begin with the time they were made.

Every table keyed by them (each service's outbox and inbox, the console's timeline and report facts) then adds its
new keys at the end of its index. Random (v4) ids put each new key on a page of its own among millions, so a large
table's insert read and dirtied a page of each index for each row, and after every checkpoint wrote that page whole
into the WAL again: 60–70 full-page images an order on the bench's database.
"""

from uuid_utils import uuid7


def new_id() -> str:
    return str(uuid7())

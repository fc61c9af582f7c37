"""The versions of reference data intake has heard announced (catalogue, roster, CRM accounts), which its rules are
built from: a `ReferenceBook` reads and keeps them, here in the unit of work's transaction."""

from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.validation import IntakeRules
from orderdesk_shared.reference import ReferenceBook


class ReferenceVersions:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def rules(self, book: ReferenceBook[IntakeRules]) -> IntakeRules:
        """The rules in force, as of this transaction when the book is due to reread them."""
        return await book.within(self._connection)

    async def keep(self, book: ReferenceBook[IntakeRules], *, kind: str, version: str, document: dict) -> None:
        await book.keep(self._connection, kind=kind, version=version, document=document)

    async def keep_if_later(self, book: ReferenceBook[IntakeRules], *, kind: str, version: str, document: dict) -> bool:
        return await book.keep_if_later(self._connection, kind=kind, version=version, document=document)

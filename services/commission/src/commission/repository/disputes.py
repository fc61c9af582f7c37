"""Reps' disputes of their commission, and the history of each."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from commission.domain.disputes import Ruling
from commission.tables import dispute_history, disputes, order_correctors
from orderdesk_shared.order_correctors import correctors_of, note_corrector


class Disputes:
    """Reps' disputes and the history of each."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def open(self, *, dispute_id: str, order_id: str, rep_id: str, claim: str, opened_on: date) -> None:
        await self._connection.execute(
            sa.insert(disputes).values(
                dispute_id=dispute_id, order_id=order_id, rep_id=rep_id, state="open", claim=claim, opened_on=opened_on
            )
        )
        await self.add_history(dispute_id=dispute_id, actor=rep_id, action="opened", note=claim)

    async def add_history(
        self,
        *,
        dispute_id: str,
        actor: str,
        action: str,
        note: str,
        adjustment: Decimal | None = None,
    ) -> None:
        await self._connection.execute(
            sa.insert(dispute_history).values(
                dispute_id=dispute_id, actor=actor, action=action, note=note, adjustment=adjustment
            )
        )

    async def open_one_of(self, order_id: str, rep_id: str) -> str | None:
        return (
            await self._connection.execute(
                sa.select(disputes.c.dispute_id).where(
                    disputes.c.order_id == order_id, disputes.c.rep_id == rep_id, disputes.c.state == "open"
                )
            )
        ).scalar()

    async def get(self, dispute_id: str, *, for_update: bool = False) -> sa.Row | None:
        query = sa.select(disputes).where(disputes.c.dispute_id == dispute_id)
        return (await self._connection.execute(query.with_for_update() if for_update else query)).first()

    async def list(self, *, state: str | None, rep_id: str | None, limit: int, offset: int) -> Sequence[sa.Row]:
        """Disputes in `state` (any when None), of one rep or all, longest open first."""
        query = sa.select(disputes)
        if state is not None:
            query = query.where(disputes.c.state == state)
        if rep_id is not None:
            query = query.where(disputes.c.rep_id == rep_id)
        ordered = query.order_by(disputes.c.opened_on, disputes.c.dispute_id).limit(limit).offset(offset)
        return (await self._connection.execute(ordered)).all()

    async def decide(self, dispute_id: str, ruling: Ruling, *, decided_by: str, decided_on: date) -> None:
        await self._connection.execute(
            sa.update(disputes)
            .where(disputes.c.dispute_id == dispute_id)
            .values(
                state=ruling.state,
                decided_by=decided_by,
                decided_on=decided_on,
                decision=ruling.reason,
                adjustment=ruling.adjustment,
            )
        )
        await self.add_history(
            dispute_id=dispute_id,
            actor=decided_by,
            action=ruling.state,
            note=ruling.reason,
            adjustment=ruling.adjustment,
        )

    async def history_of(self, dispute_id: str) -> Sequence[sa.Row]:
        return (
            await self._connection.execute(
                sa.select(dispute_history)
                .where(dispute_history.c.dispute_id == dispute_id)
                .order_by(dispute_history.c.id)
            )
        ).all()


class OrderCorrectors:
    """Who corrected each order: one of its people, who never decides a dispute about its commission."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def note(self, order_id: str, corrected_by: str) -> None:
        await note_corrector(self._connection, order_correctors, order_id=order_id, corrected_by=corrected_by)

    async def of(self, order_id: str) -> frozenset[str]:
        return await correctors_of(self._connection, order_correctors, order_id)

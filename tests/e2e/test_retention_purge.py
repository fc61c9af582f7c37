"""`orderdesk purge` deletes inbox and dead-letter rows older than asked, keeps the recent ones, and says how many
it removed per service and table."""

import asyncio
import uuid

import asyncpg
import pytest
from typer.testing import CliRunner

from orderdesk_stack.cli import app
from orderdesk_stack.paths import RUN_DIR_ENV
from orderdesk_stack.provision import asyncpg_dsn

pytestmark = pytest.mark.e2e

# Younger than the default retentions, so the services' own periodic purge leaves them to the command.
AGED_DAYS = {"old": 5, "recent": 1}


def test_purge_removes_rows_older_than_asked_and_keeps_recent_ones(stack):
    consumer = f"purge-test-{uuid.uuid4().hex[:8]}"
    asyncio.run(_age_rows(stack, consumer))

    result = CliRunner().invoke(
        app,
        ["purge", "--service", "commission", "--older-than", "3"],
        env={
            RUN_DIR_ENV: str(stack.run_dir),
            "ORDERDESK_PG_PORT": str(stack.pg_port),
            "DATABASE_URL": stack.database_url or "",
        },
        terminal_width=200,
    )

    assert result.exit_code == 0, result.output
    rows = {tuple(line.replace("│", " ").split()) for line in result.output.splitlines()}
    assert ("commission", "inbox", "2") in rows
    assert ("commission", "dead_letters", "1") in rows
    assert asyncio.run(_left(stack, consumer)) == {"inbox": ["recent-0"], "dead_letters": ["recent"]}


async def _age_rows(stack, consumer: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database="orderdesk"))
    try:
        await connection.executemany(
            "INSERT INTO commission.inbox (consumer, message_id) VALUES ($1, $2)",
            [(consumer, message_id) for message_id in ("old-0", "old-1", "recent-0")],
        )
        await connection.executemany(
            'INSERT INTO commission.dead_letters (consumer, topic, partition, "offset", key, headers, payload,'
            " error_class, reason) VALUES ($1, 'orders.ratified', 0, $2, $3, '{}', '', 'ValueError', 'test')",
            [(consumer, offset, key) for offset, key in enumerate(AGED_DAYS)],
        )
        for age, days in AGED_DAYS.items():
            await connection.execute(
                "UPDATE commission.inbox SET received_at = now() - make_interval(days => $3)"
                " WHERE consumer = $1 AND message_id LIKE $2",
                consumer,
                f"{age}-%",
                days,
            )
            await connection.execute(
                "UPDATE commission.dead_letters SET created_at = now() - make_interval(days => $3)"
                " WHERE consumer = $1 AND key = $2",
                consumer,
                age,
                days,
            )
    finally:
        await connection.close()


async def _left(stack, consumer: str) -> dict[str, list[str]]:
    connection = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database="orderdesk"))
    try:
        inbox = await connection.fetch("SELECT message_id FROM commission.inbox WHERE consumer = $1", consumer)
        dead = await connection.fetch("SELECT key FROM commission.dead_letters WHERE consumer = $1", consumer)
    finally:
        await connection.close()
    return {"inbox": [row["message_id"] for row in inbox], "dead_letters": [row["key"] for row in dead]}

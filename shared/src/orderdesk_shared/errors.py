"""How a handler says a failure is permanent (dead-letter) or transient (retry, then pause); which failures are
transient; how failures are told."""

import errno
import socket
from collections.abc import Iterator

import asyncpg
from aiokafka.errors import KafkaError

# The driver's own DataError (a value it cannot encode), not exported under its name: the server's SQLSTATE 22000
# class takes it.
from asyncpg.exceptions._base import DataError as DriverDataError
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# Reasons land in logs, dead letters and Kafka headers: long enough to act on, too short to carry an order.
MAX_REASON_CHARS = 500


class PermanentError(Exception):
    """The record can never be handled as it is: dead-letter it with this reason and move on."""


class TransientError(Exception):
    """Handling may succeed later (a dependency is down): retry, and do not commit the offset."""


class DatabaseUnavailable(TransientError):
    """The database does not answer."""


# What a database operation fails with, raw from the driver's connect or wrapped by SQLAlchemy: a loop that must
# outlive a database outage catches these (and `is_transient` tells the outage from a defect).
DATABASE_FAILURES = (DBAPIError, PoolTimeout, OSError, asyncpg.PostgresError, asyncpg.InterfaceError)

# SQLSTATEs of a database that is away or overloaded, or of a transaction that lost a race: the same work may
# succeed once it is back. A full disk (class 53) is among them: dead-lettering would turn an outage into lost orders.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53")  # connection exception; insufficient resources (disk full, memory)
_TRANSIENT_SQLSTATES = frozenset(
    {
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now (starting up, recovering)
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
    }
)
# A socket error with one of these means the peer is away, not that the work is wrong.
_CONNECTION_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EPIPE,
        errno.ETIMEDOUT,
    }
)


def is_transient(error: BaseException) -> bool:
    """Whether a failure says a dependency is away for now (retry the work later) rather than the work is wrong.

    Transient: a lost or refused connection, a database that is unavailable, shutting down, out of disk or memory
    or of pooled connections, a serialization failure or deadlock, a Kafka error Kafka marks retriable (broker
    unavailable, not leader, request timed out), or a handler's own `TransientError`. Not transient: a
    `TimeoutError` of its own (a slow handler is that record's failure), any other `OSError` (a missing file), a
    `PermanentError`, and everything else. What the error was raised from counts too: drivers wrap the connection
    error that lies beneath.
    """
    if isinstance(error, PermanentError):
        return False
    return any(_says_transient(link) for link in _causes(error))


# A value PostgreSQL refuses whatever happens: SQLSTATE class 22 (data exception: a number or date-time out of
# range, ...), among them a NUL character (U+0000), which no text (22021) or jsonb (22P05) value can hold.
_DATA_EXCEPTION_CLASS = "22"
_NUL_CHARACTER_SQLSTATES = frozenset({"22021", "22P05"})


def unstorable_value(error: BaseException) -> str | None:
    """Why the database, or its driver before sending it (asyncpg's client-side DataError: a date-time past year
    9999 in UTC, a number out of its column's range), refused a value of the input itself; None for other failures.
    The input is at fault, not the database: a request answers 4xx, never 500."""
    for link in _causes(error):
        sqlstate = getattr(link, "sqlstate", None)
        if sqlstate in _NUL_CHARACTER_SQLSTATES:
            return "text may not contain the NUL character (U+0000)"
        data_exception = isinstance(sqlstate, str) and sqlstate.startswith(_DATA_EXCEPTION_CLASS)
        if data_exception or isinstance(link, DriverDataError):
            return "a value is out of the range that can be stored (e.g. a date-time past year 9999 in UTC)"
    return None


def _says_transient(error: BaseException) -> bool:
    if isinstance(error, TransientError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, PoolTimeout):  # every pooled connection busy: the database is overloaded, not the work wrong
        return True
    if isinstance(error, KafkaError):
        return bool(error.retriable)
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_TRANSIENT_SQLSTATE_CLASSES) or sqlstate in _TRANSIENT_SQLSTATES
    if isinstance(error, (ConnectionError, socket.gaierror)):
        return True
    return isinstance(error, OSError) and error.errno in _CONNECTION_ERRNOS


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, the driver error it wraps and the errors it was raised from, each once.

    Not the errors it was raised while handling (`__context__`): a handler that turns a lost connection into a
    refusal of its own decided that the record is at fault.
    """
    seen: set[int] = set()
    pending = [error]
    while pending:
        link = pending.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        pending += [
            cause for cause in (getattr(link, "orig", None), link.__cause__) if isinstance(cause, BaseException)
        ]


def describe_error(error: BaseException) -> str:
    """A failure's reason (its class where it gives none), without the data it failed on.

    A database error's text quotes its statement, its bound values (the order JSON) and the offending
    key: only the SQLSTATE and the constraint are kept.
    """
    # The runtime's own statements go to the driver itself, whose errors come unwrapped.
    if isinstance(error, (StatementError, asyncpg.PostgresError)):
        orig = error.orig if isinstance(error, StatementError) else error
        driver_error = getattr(orig, "__cause__", None) or orig
        sqlstate = getattr(driver_error, "sqlstate", None) or getattr(orig, "sqlstate", None) or "unknown"
        constraint = getattr(driver_error, "constraint_name", None)
        on_constraint = f" on constraint {constraint}" if constraint else ""
        return f"database error SQLSTATE {sqlstate} ({type(driver_error).__name__}){on_constraint}"
    text = str(error)
    if len(text) > MAX_REASON_CHARS:
        text = text[:MAX_REASON_CHARS] + "…"
    return text or type(error).__name__


def logged_error(error: BaseException) -> str:
    """A failure as a log line gives it: its class and its reason, without the data it failed on."""
    return f"{type(error).__name__}: {describe_error(error)}"

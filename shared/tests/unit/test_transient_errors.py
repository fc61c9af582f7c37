"""Which failures pause a consumer (the dependency is away) and which are the record's own (retry, dead-letter)."""

import errno
import socket

import asyncpg
import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    NotLeaderForPartitionError,
    RecordTooLargeError,
    RequestTimedOutError,
)
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from orderdesk_shared.errors import PermanentError, TransientError, describe_error, is_transient


def _wrapped(driver_error: BaseException, *, invalidated: bool = False) -> DBAPIError:
    """What SQLAlchemy raises around a driver's error, as the asyncpg dialect does."""
    return DBAPIError.instance(
        "UPDATE orders SET stage = $1", {}, driver_error, Exception, connection_invalidated=invalidated
    )


def _raised_from(error: BaseException, cause: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


class _Order(BaseModel):
    order_version: int


def _validation_error() -> ValidationError:
    try:
        _Order.model_validate({"order_version": "one"})
    except ValidationError as error:
        return error
    raise AssertionError("the model took an invalid version")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 5432)"),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.CrashShutdownError("terminating connection because of crash of another server process"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        _wrapped(asyncpg.exceptions.DiskFullError("could not extend file: No space left on device")),
        _wrapped(asyncpg.exceptions.OutOfMemoryError("out of memory")),
        _wrapped(asyncpg.exceptions.SerializationError("could not serialize access")),
        _wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")),
        _wrapped(asyncpg.exceptions.InterfaceError("connection is closed"), invalidated=True),
        _raised_from(OperationalError("SELECT 1", {}, Exception("adapted")), ConnectionResetError()),
        PoolTimeout("QueuePool limit of size 10 overflow 10 reached, connection timed out, timeout 30.00"),
        KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]"),
        NotLeaderForPartitionError(),
        RequestTimedOutError(),
        TransientError("the billing system is down"),
    ],
    ids=lambda error: type(error).__name__ + (f"({type(error.orig).__name__})" if hasattr(error, "orig") else ""),
)
def test_a_dependency_that_is_away_is_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError(),
        FileNotFoundError(errno.ENOENT, "No such file or directory"),
        PermissionError(errno.EACCES, "Permission denied"),
        _wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key value violates unique constraint")),
        _wrapped(asyncpg.exceptions.NotNullViolationError("null value in column")),
        _wrapped(asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout")),
        IntegrityError("INSERT", {}, Exception("duplicate key")),
        RecordTooLargeError(),
        _validation_error(),
        KeyError("orderId"),
        PermanentError("no such product"),
        _raised_from(PermanentError("the billing system refused the order"), ConnectionResetError()),
    ],
    ids=lambda error: type(error).__name__ + (f"({type(error.orig).__name__})" if hasattr(error, "orig") else ""),
)
def test_a_record_that_is_wrong_or_slow_is_not_transient(error):
    assert not is_transient(error)


def test_a_driver_error_is_described_without_the_value_it_quotes():
    error = asyncpg.exceptions.InvalidTextRepresentationError('invalid input syntax for type uuid: "PO-secret"')

    assert describe_error(error) == "database error SQLSTATE 22P02 (InvalidTextRepresentationError)"

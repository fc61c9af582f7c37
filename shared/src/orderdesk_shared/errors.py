"""How a handler says a failure is permanent (dead-letter) or transient (retry, then pause); how failures are told."""

from sqlalchemy.exc import StatementError

# Reasons land in logs, dead letters and Kafka headers: long enough to act on, too short to carry an order.
MAX_REASON_CHARS = 500


class PermanentError(Exception):
    """The record can never be handled as it is: dead-letter it with this reason and move on."""


class TransientError(Exception):
    """Handling may succeed later (a dependency is down): retry, and do not commit the offset."""


def describe_error(error: BaseException) -> str:
    """A failure's reason (its class where it gives none), without the data it failed on.

    A database error's text quotes its statement, its bound values (the order JSON) and the offending
    key: only the SQLSTATE and the constraint are kept.
    """
    if isinstance(error, StatementError):
        driver_error = getattr(error.orig, "__cause__", None) or error.orig
        sqlstate = getattr(driver_error, "sqlstate", None) or getattr(error.orig, "sqlstate", None) or "unknown"
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

"""How a poll goes: how many records it reads (PollSize), how it ended, and the errors that redo it, with each record
isolated or read again in a smaller poll."""

import enum
from dataclasses import dataclass

from orderdesk_shared.errors import is_transient


@dataclass
class PollSize:
    """How many records a poll reads: halved after a poll that was too slow, so that one slow record does not
    hold up a full batch each time it is tried; doubled back after each poll that was not."""

    largest: int
    current: int = 0

    def __post_init__(self) -> None:
        self.current = self.current or self.largest

    def after_slow_poll(self) -> None:
        self.current = max(1, self.current // 2)

    def after_good_poll(self) -> None:
        self.current = min(self.largest, self.current * 2)


class PollOutcome(enum.Enum):
    COMMITTED = "committed"
    SLOW = "slow"  # read again, smaller
    PAUSED = "paused"  # a dependency is away


class RecordFailed(Exception):
    """A record of the batch cannot be handled: the batch is redone with each record in a savepoint."""


class PollTooSlow(Exception):
    """A handler or the whole poll ran out of time: the poll is read again, smaller, and nothing is committed."""


def caused_by(error: BaseException | None, kinds: type | tuple[type, ...]) -> BaseException | None:
    """The error of `kinds` behind a failure: raised as such, or the context of a rollback that failed after it."""
    while error is not None:
        if isinstance(error, kinds):
            return error
        error = error.__cause__ or error.__context__
    return None


def worth_retrying(error: BaseException) -> bool:
    """A transient failure, and not the rollback after a slow poll (the poll is read again, smaller, instead)."""
    return is_transient(error) and caused_by(error, PollTooSlow) is None

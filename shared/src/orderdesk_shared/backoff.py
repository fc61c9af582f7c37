"""Waiting between attempts to reach a dependency that is away: doubling waits, cut short by a stop."""

import asyncio
import contextlib
from dataclasses import dataclass


@dataclass
class Backoff:
    """Waits of `first` seconds, doubling up to `longest`; `reset` after a success starts again from `first`."""

    first: float = 0.5
    longest: float = 10.0
    _next: float = 0.0

    async def wait(self, stop: asyncio.Event | None = None) -> None:
        """Wait the next interval, or until `stop` is set."""
        seconds = self._next or self.first
        self._next = min(seconds * 2, self.longest)
        if stop is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    def reset(self) -> None:
        self._next = 0.0

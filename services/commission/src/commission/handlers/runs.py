"""Cutting a batch into runs that share nothing, to handle each run together as if one item after another."""

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")


def independent_runs(items: Sequence[T], *, keys: Callable[[T], Iterable[Hashable]]) -> list[list[T]]:
    """The items cut, in their order, into runs in which no two share a key."""
    runs: list[list[T]] = []
    taken: set[Hashable] = set()
    for item in items:
        item_keys = set(keys(item))
        if not runs or item_keys & taken:
            runs.append([])
            taken = set()
        runs[-1].append(item)
        taken |= item_keys
    return runs

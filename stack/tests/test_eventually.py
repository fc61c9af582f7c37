"""The one poller every test suite waits with."""

import pytest

from orderdesk_stack.testing import eventually


def counter():
    reads = 0

    async def read() -> int:
        nonlocal reads
        reads += 1
        return reads

    return read


async def test_it_reads_again_until_the_value_is_wanted_and_gives_that_value():
    read = counter()
    assert await eventually(lambda: read(), lambda count: count >= 3, pause=0) == 3


async def test_by_default_it_waits_for_a_truthy_value():
    read = counter()
    assert await eventually(lambda: _over_two(read()), pause=0) is True


async def _over_two(reading) -> bool:
    return await reading > 2


async def test_it_fails_naming_what_it_waited_for_and_the_last_value_read():
    with pytest.raises(AssertionError, match=r"waited 0.05 s for a negative count; last read: \d+"):
        await eventually(counter(), lambda count: count < 0, what="a negative count", timeout=0.05, pause=0.01)


async def test_an_error_reading_fails_at_once():
    async def broken() -> None:
        raise ConnectionRefusedError("nobody listens")

    with pytest.raises(ConnectionRefusedError):
        await eventually(broken, timeout=30)

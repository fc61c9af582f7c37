import asyncio

import httpx

from orderdesk_shared.tokens import TokenSigner
from orderdesk_stack.desk import REQUESTS_AT_ONCE, People


def test_the_people_never_have_more_requests_in_flight_than_they_can_work_at_once(tmp_path) -> None:
    """A slice's every hand-off reaches Operations at once: its requests queue with the people, not in one HTTP
    client's pool (whose bookkeeping grows with the square of what waits in it)."""
    people = People(TokenSigner.create(tmp_path, audiences=["fulfillment-handoff"]))
    in_flight, most = 0, 0

    async def send() -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        return httpx.Response(202)

    async def everyone_at_once() -> list[httpx.Response]:
        return await asyncio.gather(*(people.ask(send) for _ in range(10 * REQUESTS_AT_ONCE)))

    answers = asyncio.run(everyone_at_once())
    assert [answer.status_code for answer in answers] == [202] * 10 * REQUESTS_AT_ONCE
    assert most == REQUESTS_AT_ONCE

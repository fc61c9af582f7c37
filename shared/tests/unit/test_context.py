from datetime import UTC, datetime

from orderdesk_shared.context import ServiceContext, bind


async def test_a_bound_handler_decides_with_the_service_rules_and_clock():
    seen = []

    async def remember(event, uow, context: ServiceContext) -> None:
        seen.append((event, context.rules, context.clock()))

    noon = datetime(2025, 3, 3, 12, tzinfo=UTC)
    handlers = bind({str: remember}, ServiceContext(rules="the rules", clock=lambda: noon))

    await handlers[str]("an event", None)

    assert seen == [("an event", "the rules", noon)]

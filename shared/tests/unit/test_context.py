from datetime import UTC, datetime

from orderdesk_shared.context import ServiceContext, bind, with_context


async def test_a_bound_handler_decides_with_the_service_rules_and_clock():
    seen = []

    async def remember(event, uow, context: ServiceContext) -> None:
        seen.append((event, context.rules, context.clock()))

    noon = datetime(2025, 3, 3, 12, tzinfo=UTC)
    handlers = bind({str: remember}, ServiceContext(rules="the rules", clock=lambda: noon))

    await handlers[str]("an event", None)

    assert seen == [("an event", "the rules", noon)]


def test_work_deferred_with_a_context_is_one_work_so_a_transaction_does_it_once():
    async def hand_off_orders(uow, items, context) -> None: ...

    context = ServiceContext(rules=None)

    assert with_context(hand_off_orders, context) is with_context(hand_off_orders, context)
    assert with_context(hand_off_orders, context).__qualname__ == hand_off_orders.__qualname__

"""Reading traces back from a stack's Jaeger (`Stack.jaeger_url`), the way an SRE's tracing UI finds them.

Searches go through the HTTP API Jaeger's UI itself uses (/api/traces, by service and tag); one trace is read
whole through its OTLP-shaped API (/api/v3/traces/<id>), which keeps attributes typed and links as links.
Services export in batches, so the wait_* helpers poll until what is asked for has arrived.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TypedDict, TypeVar

import httpx

ORDER_ID_ATTRIBUTE = "orderdesk.order.id"
T = TypeVar("T")


class SpanLink(TypedDict):
    trace_id: str
    span_id: str
    attributes: dict[str, object]


class Span(TypedDict):
    """One span as Jaeger stored it; ids in lowercase hex, parent_span_id None for a root span."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    kind: str
    start_time_unix_nano: int
    attributes: dict[str, object]
    links: list[SpanLink]


class JaegerQuery:
    """An async client of one Jaeger's query API; use as `async with JaegerQuery(stack.jaeger_url) as jaeger:`."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def __aenter__(self) -> "JaegerQuery":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def trace_url(self, trace_id: str) -> str:
        """The UI's page of the trace."""
        return f"{self.base_url}/trace/{trace_id}"

    async def services(self) -> set[str]:
        """The services that have sent spans."""
        response = await self._client.get("/api/services")
        response.raise_for_status()
        return set(response.json()["data"] or ())

    async def trace_ids_with_tag(self, key: str, value: str, *, limit: int = 100) -> set[str]:
        """Ids of the traces holding a span with this attribute (or resource attribute), searched in every service,
        within Jaeger's default lookback (two days)."""
        found: set[str] = set()
        for service in sorted(await self.services()):
            params = {"service": service, "tags": json.dumps({key: value}), "limit": str(limit)}
            response = await self._client.get("/api/traces", params=params)
            response.raise_for_status()
            # This API writes an id whose high 64 bits are zero in 16 digits.
            found.update(trace["traceID"].rjust(32, "0") for trace in response.json()["data"] or ())
        return found

    async def trace_ids_for_order(self, order_id: str) -> set[str]:
        """Ids of the traces with a span of this order (attribute orderdesk.order.id)."""
        return await self.trace_ids_with_tag(ORDER_ID_ATTRIBUTE, order_id)

    async def trace(self, trace_id: str) -> list[Span]:
        """Every span of the trace Jaeger holds so far, by start time; [] for a trace it does not know."""
        response = await self._client.get(f"/api/v3/traces/{trace_id}")
        if response.status_code == 404:
            return []
        response.raise_for_status()
        spans = [
            _span(span, service=_service_of(resource_spans))
            for resource_spans in response.json()["result"].get("resourceSpans", [])
            for scope_spans in resource_spans.get("scopeSpans", [])
            for span in scope_spans.get("spans", [])
        ]
        return sorted(spans, key=lambda span: span["start_time_unix_nano"])

    async def wait_for_spans(
        self, trace_id: str, wanted: Callable[[list[Span]], bool] = bool, *, timeout: float = 30.0
    ) -> list[Span]:
        """The trace's spans once `wanted(spans)` holds (by default: once it has any)."""
        return await _poll(
            lambda: self.trace(trace_id), wanted, timeout=timeout, what=f"trace {trace_id}", describe=describe
        )

    async def wait_for_trace_ids_for_order(
        self, order_id: str, wanted: Callable[[set[str]], bool] = bool, *, timeout: float = 30.0
    ) -> set[str]:
        """The order's trace ids once `wanted(ids)` holds (by default: once there is one)."""
        return await _poll(
            lambda: self.trace_ids_for_order(order_id), wanted, timeout=timeout, what=f"traces of order {order_id}"
        )

    async def settled_trace(self, trace_id: str, *, quiet: float = 2.0, timeout: float = 60.0) -> list[Span]:
        """The trace once no new span arrived for `quiet` seconds (longer than the exporters' batch delay)."""
        deadline = asyncio.get_running_loop().time() + timeout
        spans = await self.wait_for_spans(trace_id, timeout=timeout)
        while True:
            await asyncio.sleep(quiet)
            later = await self.trace(trace_id)
            if len(later) == len(spans):
                return later
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"trace {trace_id} still growing after {timeout:.0f} s: {describe(later)}")
            spans = later


def describe(spans: list[Span]) -> str:
    """A failure message's summary of a trace: its span names by service."""
    by_service: dict[str, list[str]] = {}
    for span in spans:
        by_service.setdefault(span["service"], []).append(span["name"])
    return f"{len(spans)} spans; " + "; ".join(f"{s}: {', '.join(names)}" for s, names in sorted(by_service.items()))


async def _poll(
    read: Callable[[], Awaitable[T]],
    wanted: Callable[[T], bool],
    *,
    timeout: float,
    what: str,
    describe: Callable[[T], str] = repr,
    pause: float = 0.3,
) -> T:
    deadline = asyncio.get_running_loop().time() + timeout
    while not wanted(value := await read()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not as wanted after {timeout:.0f} s: {describe(value)}")
        await asyncio.sleep(pause)
    return value


def _service_of(resource_spans: dict) -> str:
    return str(_attributes(resource_spans.get("resource", {}).get("attributes", [])).get("service.name", ""))


def _span(span: dict, *, service: str) -> Span:
    return Span(
        service=service,
        name=span.get("name", ""),
        trace_id=span["traceId"],
        span_id=span["spanId"],
        parent_span_id=span.get("parentSpanId") or None,
        kind=_SPAN_KINDS.get(span.get("kind", 0), "unspecified"),
        start_time_unix_nano=int(span.get("startTimeUnixNano", 0)),
        attributes=_attributes(span.get("attributes", [])),
        links=[_link(link) for link in span.get("links", [])],
    )


def _link(link: dict) -> SpanLink:
    attributes = _attributes(link.get("attributes", []))
    return SpanLink(trace_id=link["traceId"], span_id=link["spanId"], attributes=attributes)


# OTLP's SpanKind numbers, as the JSON encoding carries them.
_SPAN_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _attributes(pairs: list[dict]) -> dict[str, object]:
    return {pair["key"]: _value(pair.get("value", {})) for pair in pairs}


def _value(value: dict) -> object:
    """An OTLP JSON AnyValue as Python (int64s come as strings in JSON)."""
    if "intValue" in value:
        return int(value["intValue"])
    if "arrayValue" in value:
        return [_value(item) for item in value["arrayValue"].get("values", [])]
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    return None

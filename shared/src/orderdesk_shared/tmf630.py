"""TMF630 (REST API design guidelines, part 1) list and read behaviour, shared by every /tmf-api route.

- `fields=state,orderDate` projects a resource onto those top-level attributes; `id`, `href` and `@type` are
  always kept. It applies to a list and to a read by id.
- Any other query parameter filters on an attribute: `state=acknowledged`, `state=acknowledged,held` (either),
  a dotted path into nested objects and lists (`productOrderItem.state=completed`: some item is completed), and
  `.gt`, `.gte`, `.lt`, `.lte` on date-times and numbers (`orderDate.gte=2026-12-01T00:00:00Z`). Parameters
  repeated or on different attributes must all hold.
- `offset` and `limit` page the filtered list; `X-Total-Count` says how many match, `X-Result-Count` how many
  are on the page; nothing matching is 200 with [].
- A filter or a field on an attribute the resource does not have is refused (400 at that parameter), rather
  than silently matching everything or nothing: a typo must not look like an answer. Below the top level,
  paths are not checked against the resource's definition: a path that leads nowhere matches nothing.

A method the published specification documents at a path OrderDesk serves but does not offer is a 405 naming
what is offered there (the router answers so by itself); `not_offered` says so at a documented path where
OrderDesk offers nothing at all, so that no documented path and method is a 404.

The parsing and matching are pure functions; `list_query` and `fields_query` make FastAPI dependencies of them.
"""

from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError

from orderdesk_shared.limits import Offset, PageSize
from orderdesk_shared.problems import declare_not_offered

ALWAYS_KEPT = ("id", "href", "@type")
# Query parameters that are not attribute filters.
PAGING = frozenset({"fields", "offset", "limit"})
DEFAULT_PAGE_SIZE = 50
Operator = Literal["eq", "gt", "gte", "lt", "lte"]
ORDERING: frozenset[Operator] = frozenset({"gt", "gte", "lt", "lte"})
# How many values one OR filter may list.
MAX_ALTERNATIVES = 50
# How many resources a store-backed list reads to apply the filters the store does not (see answer_from).
MAX_FILTERED_SCAN = 2000

Fields = Annotated[
    str | None,
    Query(
        max_length=2000,
        description="comma-separated top-level attributes to return (id, href and @type are always returned)",
    ),
]


class InvalidQuery(ValueError):
    """Query parameters that cannot be applied; `problems` pairs each parameter with why."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{parameter}: {reason}" for parameter, reason in problems))
        self.problems = tuple(problems)

    def as_validation_error(self) -> RequestValidationError:
        """The refusal as FastAPI's own validation error: 400 with the parameters' names on a TMF route."""
        return RequestValidationError(
            [{"loc": ("query", parameter), "msg": reason, "type": "value_error"} for parameter, reason in self.problems]
        )


Comparable = datetime | Decimal
# A SQL/JSON path and the variables it names.
JsonPath = tuple[str, dict[str, object]]
# Reads (offset, limit) of a store's selection: that page of resources and how many the selection holds.
PageReader = Callable[[int, int], Awaitable[tuple[Sequence[Mapping], int]]]


@dataclass(frozen=True)
class Condition:
    """One attribute filter: the values at `path` (any of them) equal one of `values`, or compare to `bound`."""

    parameter: str
    path: tuple[str, ...]
    operator: Operator
    values: tuple[str, ...] = ()
    bound: Comparable | None = None

    def holds(self, resource: Mapping) -> bool:
        found = _values_at(resource, self.path)
        if self.operator == "eq":
            return any(_equals(value, wanted) for value in found for wanted in self.values)
        return any(_compare(value, self.bound, self.operator) for value in found)

    def jsonpath(self) -> JsonPath | None:
        """The condition as a PostgreSQL SQL/JSON path and its variables, for `jsonb_path_exists` on a stored
        resource (lax mode looks into every entry of a list on the way, as `holds` does); None for an ordering of
        date-times, which jsonpath would compare as text."""
        steps = "".join(f'."{_escaped(name)}"' for name in self.path)
        if self.operator != "eq":
            if not isinstance(self.bound, Decimal):
                return None
            symbol = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[self.operator]
            return f"$ {steps} ? (@ {symbol} $bound)", {"bound": _json_number(self.bound)}
        variables = {f"v{n}": typed for n, typed in enumerate(t for wanted in self.values for t in _typed(wanted))}
        alternatives = " || ".join(f"@ == ${name}" for name in variables)
        return f"$ {steps} ? ({alternatives})", variables


@dataclass(frozen=True)
class ListQuery:
    """What a TMF list request asks for: filters, projection and a page."""

    conditions: tuple[Condition, ...] = ()
    fields: frozenset[str] | None = None
    offset: int = 0
    limit: int = DEFAULT_PAGE_SIZE

    def split_for_jsonb(self) -> tuple[tuple[JsonPath, ...], "ListQuery"]:
        """The jsonpaths of the conditions a store of jsonb resources decides itself, and this query with the rest."""
        paths = {condition: condition.jsonpath() for condition in self.conditions}
        rest = tuple(condition for condition, path in paths.items() if path is None)
        decided = tuple(path for path in paths.values() if path is not None)
        return decided, replace(self, conditions=rest)

    def matching(self, resources: Iterable[Mapping]) -> list[Mapping]:
        return [resource for resource in resources if all(c.holds(resource) for c in self.conditions)]

    def project(self, resource: Mapping) -> dict:
        return project(resource, self.fields)

    def answer(self, resources: Iterable[Mapping], response: Response) -> list[dict]:
        """Filter, page and project a whole collection, setting X-Total-Count and X-Result-Count."""
        matching = self.matching(resources)
        page = matching[self.offset : self.offset + self.limit]
        return self.answer_page(page, total=len(matching), response=response)

    def answer_page(self, page: Sequence[Mapping], *, total: int, response: Response) -> list[dict]:
        """Project a page already filtered and cut (by SQL), setting X-Total-Count and X-Result-Count."""
        response.headers["X-Total-Count"] = str(total)
        response.headers["X-Result-Count"] = str(len(page))
        return [self.project(resource) for resource in page]

    async def answer_from(
        self, read: PageReader, response: Response, *, scan_limit: int = MAX_FILTERED_SCAN, narrow_with: str = ""
    ) -> list[dict]:
        """Answer from a store that filters and pages some parameters itself (in SQL, on indexed columns) and
        leaves the rest, `conditions`, to this query.

        Without such conditions the store pages. With them, every resource the store selects is read and
        filtered here, so that X-Total-Count and the page are right; that is refused (400 at those parameters)
        when the store selects more than `scan_limit`, naming the parameters to narrow with (`narrow_with`).
        """
        if not self.conditions:
            page, total = await read(self.offset, self.limit)
            return self.answer_page(page, total=total, response=response)
        _, selected = await read(0, 0)
        if selected > scan_limit:
            reason = f"filters on up to {scan_limit} resources and {selected} are listed here" + (
                f": narrow them first with {narrow_with}" if narrow_with else ""
            )
            raise InvalidQuery([(c.parameter, reason) for c in self.conditions]).as_validation_error()
        resources, _ = await read(0, scan_limit)
        return self.answer(resources, response)


def project(resource: Mapping, fields: Collection[str] | None) -> dict:
    """The resource with only these top-level attributes (and id, href, @type); all of it when `fields` is None."""
    if fields is None:
        return dict(resource)
    kept = set(fields) | set(ALWAYS_KEPT)
    return {name: value for name, value in resource.items() if name in kept}


def parse_fields(text: str | None, *, attributes: Collection[str]) -> frozenset[str] | None:
    """`fields=a,b` as the set of attribute names; None when not asked (the whole resource)."""
    if text is None:
        return None
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise InvalidQuery([("fields", "names no attribute; leave it out for the whole resource")])
    if unknown := sorted(names - set(attributes) - set(ALWAYS_KEPT)):
        raise InvalidQuery([("fields", f"not top-level attributes of this resource: {', '.join(unknown)}")])
    return names


def parse_conditions(parameters: Iterable[tuple[str, str]], *, attributes: Collection[str]) -> tuple[Condition, ...]:
    """Each (name, value) query parameter as a filter; every problem found is reported at once."""
    conditions, problems = [], []
    for name, value in parameters:
        try:
            conditions.append(_condition(name, value, attributes))
        except InvalidQuery as invalid:
            problems += invalid.problems
    if problems:
        raise InvalidQuery(problems)
    return tuple(conditions)


def _condition(name: str, value: str, attributes: Collection[str]) -> Condition:
    *path, last = name.split(".")
    operator: Operator = "eq"
    if path and last in ORDERING:
        operator = last  # type: ignore[assignment]  # narrowed by the membership test
    else:
        path.append(last)
    if not all(path):
        raise InvalidQuery([(name, "is not an attribute path")])
    if path[0] not in attributes:
        raise InvalidQuery([(name, f"this resource has no attribute {path[0]}")])
    if operator != "eq":
        return Condition(name, tuple(path), operator, bound=_bound(name, value))
    values = tuple(choice.strip() for choice in value.split(",") if choice.strip())
    if not values:
        raise InvalidQuery([(name, "needs a value")])
    if len(values) > MAX_ALTERNATIVES:
        raise InvalidQuery([(name, f"lists more than {MAX_ALTERNATIVES} values")])
    return Condition(name, tuple(path), operator, values=values)


def _bound(name: str, text: str) -> Comparable:
    if (moment := _date_time(text)) is not None:
        return moment
    if (number := _number(text)) is not None:
        return number
    raise InvalidQuery([(name, "compares date-times or numbers: give one, e.g. 2026-12-01T00:00:00Z")])


def _escaped(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def _typed(wanted: str) -> list[object]:
    """The JSON values a query value may stand for: the text itself, and the number or boolean it spells."""
    values: list[object] = [wanted]
    if wanted in ("true", "false"):
        values.append(wanted == "true")
    if (number := _number(wanted)) is not None:
        values.append(_json_number(number))
    return values


def _json_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _values_at(document: object, path: Sequence[str]) -> Iterator[object]:
    """Every value at the dotted path, looking into each entry of a list on the way."""
    if isinstance(document, list):
        for entry in document:
            yield from _values_at(entry, path)
    elif not path:
        yield document
    elif isinstance(document, Mapping) and path[0] in document:
        yield from _values_at(document[path[0]], path[1:])


def _equals(value: object, wanted: str) -> bool:
    if isinstance(value, bool):
        return wanted == ("true" if value else "false")
    if isinstance(value, int | float | Decimal):
        return _number(wanted) == Decimal(str(value))
    return isinstance(value, str) and value == wanted


def _compare(value: object, bound: Comparable | None, operator: Operator) -> bool:
    if isinstance(bound, datetime):
        found: Comparable | None = _date_time(value) if isinstance(value, str) else None
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        found = Decimal(str(value))
    else:
        found = None
    if found is None or bound is None:
        return False
    return {
        "gt": found > bound,
        "gte": found >= bound,
        "lt": found < bound,
        "lte": found <= bound,
    }[operator]


def _date_time(text: str) -> datetime | None:
    """An ISO 8601 date or date-time; one without an offset is read as UTC."""
    if len(text) < 10 or not text[:4].isdigit() or text[4] != "-":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def list_query(*, attributes: Collection[str], handled: Collection[str] = ()) -> Callable[..., ListQuery]:
    """A FastAPI dependency reading a TMF list request: `fields`, `offset`, `limit` and the attribute filters,
    except the parameters in `handled` (which the route applies itself, e.g. in SQL)."""
    known = frozenset(attributes)
    not_filters = PAGING | frozenset(handled)

    def read(
        request: Request, fields: Fields = None, offset: Offset = 0, limit: PageSize = DEFAULT_PAGE_SIZE
    ) -> ListQuery:
        filters = [(name, value) for name, value in request.query_params.multi_items() if name not in not_filters]
        try:
            return ListQuery(
                conditions=parse_conditions(filters, attributes=known),
                fields=parse_fields(fields, attributes=known),
                offset=offset,
                limit=limit,
            )
        except InvalidQuery as invalid:
            raise invalid.as_validation_error() from invalid

    return read


def fields_query(*, attributes: Collection[str]) -> Callable[..., frozenset[str] | None]:
    """A FastAPI dependency reading `fields=` of a read by id: the attributes to keep, None for all."""
    known = frozenset(attributes)

    def read(fields: Fields = None) -> frozenset[str] | None:
        try:
            return parse_fields(fields, attributes=known)
        except InvalidQuery as invalid:
            raise invalid.as_validation_error() from invalid

    return read


def not_offered(router: APIRouter, path: str, *, methods: Collection[str]) -> None:
    """Answer 405 (Allow naming what is served there, if anything) to these methods the published specification
    documents at `path`, where OrderDesk does not offer them. The router is included in its app without a prefix
    of its own, as every service's are."""
    refused = frozenset(methods)

    async def refuse() -> None:
        raise HTTPException(
            status.HTTP_405_METHOD_NOT_ALLOWED, f"OrderDesk does not offer {' or '.join(sorted(refused))} here"
        )

    router.add_api_route(path, refuse, methods=sorted(refused), include_in_schema=False)
    declare_not_offered(router.prefix + path, refused)

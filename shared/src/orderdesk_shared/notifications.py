"""TMF hub notifications, the pure parts: a listener's query filter, the event envelope, the HMAC signature, the
retry schedule and which callback addresses are refused. No I/O (orderdesk_shared.hub does the I/O)."""

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from orderdesk_shared.ids import new_id

# The header carrying the signature of a notification's body: `sha256=<hex HMAC-SHA256 of the body>`, keyed with the
# subscription's secret (GitHub's webhook convention, which most HTTP frameworks have a recipe for).
SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="
# The notification's eventId again, so a listener can drop a redelivery before parsing the body.
EVENT_ID_HEADER = "X-Event-Id"

MAX_QUERY_CHARS = 1000
MAX_CALLBACK_CHARS = 2000
# A dotted path into the notification: `eventType`, `event.productOrder.state`, `...productOrderItem.0.state`.
_PATH = re.compile(r"^[A-Za-z@_][A-Za-z0-9@_]*(\.([A-Za-z@_][A-Za-z0-9@_]*|[0-9]+))*$")
EVENT_TYPE = "eventType"


class InvalidSubscription(ValueError):
    """A registration that cannot be taken: `field` is the body's field at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


# --- the query filter ---------------------------------------------------------------------------------------------


def parse_query(query: str | None, *, event_types: Collection[str]) -> dict[str, list[str]]:
    """A listener's TMF query as the filter the fan-out applies: each dotted path with the values it may have.

    `eventType=A,B&event.productOrder.state=completed` takes the events of type A or B whose order is completed.
    A path named twice takes either value; a value list is separated by commas. An empty query takes every event.
    """
    text = (query or "").strip().removeprefix("?")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidSubscription("query", f"the query is longer than {MAX_QUERY_CHARS} characters")
    conditions: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError as error:
        raise InvalidSubscription("query", f"the query is not name=value pairs joined by '&': {error}") from error
    for path, value in pairs:
        if not _PATH.match(path):
            raise InvalidSubscription(
                "query", f"{path!r} is not a dotted attribute path such as event.productOrder.state"
            )
        values = [part.strip() for part in value.split(",") if part.strip()]
        if not values:
            raise InvalidSubscription("query", f"{path} names no value")
        conditions.setdefault(path, [])
        conditions[path] += [part for part in values if part not in conditions[path]]
    if unknown := sorted(set(conditions.get(EVENT_TYPE, ())) - set(event_types)):
        raise InvalidSubscription(
            "query", f"no event type {', '.join(unknown)} here; the events are {', '.join(sorted(event_types))}"
        )
    return conditions


def matches(conditions: Mapping[str, Collection[str]], envelope: Mapping) -> bool:
    """Whether a notification passes a listener's filter: the value at each path (text, as in the query) is one of
    the values the filter names for it."""
    return all(_text_at(envelope, path) in allowed for path, allowed in conditions.items())


def _text_at(document: object, path: str) -> str | None:
    """The scalar at a dotted path as the query's text would name it (JSON's true/false); None where none is."""
    for step in path.split("."):
        if isinstance(document, Mapping):
            document = document.get(step)
        elif isinstance(document, list) and step.isdigit() and int(step) < len(document):
            document = document[int(step)]
        else:
            return None
    if document is None or isinstance(document, (Mapping, list)):
        return None
    if isinstance(document, bool):
        return "true" if document else "false"
    return str(document)


# --- the notification ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    """One TMF event about one resource, for the listeners whose registrants may see it.

    `audience` names who may see the resource (orderdesk_shared.hub's audience tags): a subscription narrowed to a
    tag gets only the notifications naming it. `field_path` says which fields the event is about (information
    required, attribute value changed).
    """

    event_type: str
    resource_name: str
    resource: Mapping
    audience: tuple[str, ...]
    field_path: str | None = None
    event_id: str = field(default_factory=new_id)
    event_time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def envelope(self) -> dict:
        """The TMF event structure a listener receives."""
        document = {
            "eventId": self.event_id,
            "eventTime": self.event_time.isoformat(),
            "eventType": self.event_type,
            "event": {self.resource_name: self.resource},
        }
        if self.field_path:
            document["fieldPath"] = self.field_path
        return document


def field_paths(findings: Iterable[Mapping]) -> str | None:
    """The fields a list of findings names, comma-separated, as the InformationRequired event's fieldPath."""
    paths = list(dict.fromkeys(path for finding in findings if (path := finding.get("fieldPath"))))
    return ",".join(paths) or None


# --- signing ------------------------------------------------------------------------------------------------------


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header for a body: `sha256=` and the hex HMAC-SHA256 of the body under secret."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_holds(secret: str, body: bytes, header: str | None) -> bool:
    """Whether a received signature header is the body's under secret (compared in constant time)."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


# --- retries ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrySchedule:
    """When a failed delivery is tried again: after `first` seconds, doubling up to `longest`; a notification not
    delivered within `window` seconds of its creation is dead-lettered with the reason of its last failure."""

    first: float = 1.0
    longest: float = 300.0
    window: float = 3600.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failed attempt (1, 2, ...)."""
        return min(self.first * 2 ** max(failures - 1, 0), self.longest)

    def gives_up(self, *, age_seconds: float) -> bool:
        """Whether a notification this old that failed again is dead-lettered rather than retried."""
        return age_seconds >= self.window


# --- callbacks ----------------------------------------------------------------------------------------------------

# Names that resolve to a cloud's instance metadata service (its credentials) from inside the cloud.
METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data"})


def callback_parts(callback: str) -> tuple[str, int]:
    """The host and port an http(s) callback URL names; InvalidSubscription for any other URL."""
    if len(callback) > MAX_CALLBACK_CHARS:
        raise InvalidSubscription("callback", f"the callback is longer than {MAX_CALLBACK_CHARS} characters")
    try:
        parts = urlsplit(callback)
        port = parts.port
    except ValueError as error:
        raise InvalidSubscription("callback", f"the callback is not a URL: {error}") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidSubscription("callback", "the callback must be an http or https URL with a host")
    if parts.username or parts.password:
        raise InvalidSubscription("callback", "the callback must not carry credentials: the signature authenticates")
    return parts.hostname.rstrip(".").lower(), port or (443 if parts.scheme == "https" else 80)


def address_refusal(address: str, *, private_allowed: bool) -> str | None:
    """Why notifications may not go to this IP address; None when they may.

    Link-local addresses (the cloud metadata service among them), unspecified, multicast and reserved ones never;
    loopback and private networks only where `private_allowed` (a local stack, or a host on the allowlist).
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip.is_unspecified or ip.is_multicast or (ip.is_reserved and not ip.is_loopback):
        return f"{address} is a link-local, unspecified, multicast or reserved address"
    if (ip.is_loopback or ip.is_private) and not private_allowed:
        return f"{address} is a loopback or private address; ask for the host to be allowed (hub_callback_hosts)"
    return None

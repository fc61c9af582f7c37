"""Which callbacks notifications may go to, checked when a listener registers and again before each delivery round:
http(s) only, and never to an address refused (ensure_callback_allowed)."""

import asyncio
import socket

from orderdesk_shared.notifications import METADATA_HOSTS, InvalidSubscription, address_refusal, callback_parts
from orderdesk_shared.settings import ServiceSettings

# How long a registration waits for the callback's host name to resolve.
RESOLVE_SECONDS = 5.0


async def ensure_callback_allowed(callback: str, settings: ServiceSettings) -> None:
    """Refuse a callback notifications must not go to: not http(s), or resolving to an address refused (link-local
    and metadata always; loopback and private outside a local stack, unless its host is on the allowlist)."""
    host, port = callback_parts(callback)
    allowed_hosts = {name.lower() for name in settings.hub_callback_hosts}
    if allowed_hosts and host not in allowed_hosts:
        raise InvalidSubscription("callback", f"{host} is not among the hosts notifications may go to")
    if host in METADATA_HOSTS:
        raise InvalidSubscription("callback", f"{host} is a cloud metadata service")
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            resolved = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as error:
        raise InvalidSubscription("callback", f"the callback's host {host} does not resolve") from error
    private_allowed = settings.is_local or host in allowed_hosts
    for *_, address in resolved:
        if refusal := address_refusal(address[0], private_allowed=private_allowed):
            raise InvalidSubscription("callback", f"notifications may not go to {host}: {refusal}")

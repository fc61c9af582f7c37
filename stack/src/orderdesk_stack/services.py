"""The OrderDesk services as data: everything that starts, provisions or addresses them derives from this."""

from dataclasses import dataclass
from pathlib import Path

from orderdesk_stack.paths import repo_root


@dataclass(frozen=True)
class Service:
    """One service: its schema is also its login role; it listens on the stack's port base + port_offset."""

    name: str
    package: str
    schema: str
    port_offset: int
    env_prefix: str
    directory: str
    # Settings the local stack (demo, tests) gives the service beside its connection settings.
    local_settings: tuple[tuple[str, str], ...] = ()
    # Services whose APIs it calls: the stack gives it each one's address as <PREFIX><NAME>_URL.
    calls: tuple[str, ...] = ()

    @property
    def role(self) -> str:
        """Each service logs in as a role named after the schema it owns."""
        return self.schema

    def port(self, base: int) -> int:
        return base + self.port_offset

    @property
    def alembic_ini(self) -> Path:
        return repo_root() / self.directory / "alembic.ini"


SERVICES: tuple[Service, ...] = (
    Service(
        "console",
        "console",
        "console",
        0,
        "CONSOLE_",
        "services/console",
        # A local stack is signed into by name and role; production uses the identity provider's tokens.
        local_settings=(("CONSOLE_DEV_SIGN_IN", "true"),),
        calls=("intake", "serviceability", "pricing-approval", "fulfillment-handoff", "commission"),
    ),
    Service("intake", "intake", "intake", 1, "INTAKE_", "services/intake"),
    Service(
        "serviceability",
        "serviceability",
        "serviceability",
        2,
        "SERVICEABILITY_",
        "services/serviceability",
        # A fresh local stack starts with the seed location inventory, so generated orders find their sites.
        local_settings=(("SERVICEABILITY_SEED_EMPTY_INVENTORY", "true"),),
    ),
    Service(
        "pricing-approval", "pricing_approval", "pricing_approval", 3, "PRICING_APPROVAL_", "services/pricing-approval"
    ),
    Service(
        "fulfillment-handoff", "fulfillment_handoff", "fulfillment", 4, "FULFILLMENT_", "services/fulfillment-handoff"
    ),
    Service("commission", "commission", "commission", 5, "COMMISSION_", "services/commission"),
)


def service_named(name: str) -> Service:
    for service in SERVICES:
        if service.name == name:
            return service
    raise KeyError(f"no service {name!r}; known: {', '.join(s.name for s in SERVICES)}")

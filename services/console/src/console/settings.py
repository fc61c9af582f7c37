from pydantic import Field
from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The console's settings, from CONSOLE_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_")

    service_name: str = "console"
    # The services the console acts through, with the signed-in user's token.
    intake_url: str = "http://127.0.0.1:8001"
    pricing_approval_url: str = "http://127.0.0.1:8003"
    serviceability_url: str = "http://127.0.0.1:8002"
    fulfillment_handoff_url: str = "http://127.0.0.1:8004"
    commission_url: str = "http://127.0.0.1:8005"
    # The tracing UI's page of one trace, where the order page links its trace id (Jaeger's UI by default).
    trace_url_template: str = "http://127.0.0.1:16686/trace/{trace_id}"
    # Local stacks only: a sign-in form that mints a token for any name and role.
    dev_sign_in: bool = False
    sla_watch_seconds: float = Field(default=30.0, gt=0)

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings

POLICIES = Path(__file__).resolve().parents[2] / "policies"
STAGE_SLAS = POLICIES / "stage_slas.v1.toml"
NOTIFICATIONS = POLICIES / "notifications.v1.toml"
REPORT_SCHEDULES = POLICIES / "report_schedules.v1.toml"


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
    # Local stacks only: a sign-in form that mints a token for any name and role, signed with the local stack's key
    # (the directory orderdesk_shared.tokens.TokenSigner keeps it in).
    dev_sign_in: bool = False
    dev_sign_in_keys: Path | None = None
    sla_watch_seconds: float = Field(default=30.0, gt=0)
    # The stage SLA policy, counted in the shared business calendar (ORDERDESK_BUSINESS_CALENDAR).
    stage_slas: Path = STAGE_SLAS
    # Which events mail whom (status notifications), and what the mail says.
    notifications: Path = NOTIFICATIONS
    # Where people reach the console's pages: the links in its mail.
    public_url: str = "http://127.0.0.1:8000"
    # Which reports go to whom and when; checked for runs that came due every `report_schedule_watch_seconds`.
    report_schedules: Path = REPORT_SCHEDULES
    report_schedule_watch_seconds: float = Field(default=30.0, gt=0)
    # The SMTP relay the console's mail goes out through (the local stack's sink listens on 2525), and its sender.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    mail_from: str = "OrderDesk <orderdesk@orderdesk.local>"
    mail_send_seconds: float = Field(default=2.0, gt=0)

    def trace_url(self, trace_id: str | None) -> str | None:
        """Where the tracing UI shows the trace; None without one."""
        return self.trace_url_template.format(trace_id=trace_id) if trace_id else None

    @property
    def service_urls(self) -> dict[str, str]:
        """Each service the console calls, by name: the SRE page asks every one of them how it is doing."""
        return {
            "intake": self.intake_url,
            "serviceability": self.serviceability_url,
            "pricing-approval": self.pricing_approval_url,
            "fulfillment-handoff": self.fulfillment_handoff_url,
            "commission": self.commission_url,
        }

    @model_validator(mode="after")
    def _dev_sign_in_only_on_a_local_stack(self) -> "Settings":
        if self.dev_sign_in and not self.is_local:
            raise ValueError(
                "CONSOLE_DEV_SIGN_IN signs anyone in as anyone: local stacks only (ORDERDESK_DEPLOYMENT=local)"
            )
        if self.dev_sign_in and self.dev_sign_in_keys is None:
            raise ValueError("CONSOLE_DEV_SIGN_IN needs CONSOLE_DEV_SIGN_IN_KEYS, the local stack's signing keys")
        return self

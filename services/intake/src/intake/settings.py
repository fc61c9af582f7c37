from pathlib import Path

from pydantic_settings import SettingsConfigDict

from intake.domain.matrix import DEFAULT_MATRIX
from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Intake's settings, from INTAKE_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_")

    service_name: str = "intake"
    order_entry_matrix: Path = DEFAULT_MATRIX
    # None: the seed reference data shipped with the service.
    reference_dir: Path | None = None

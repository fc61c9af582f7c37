from intake.tables import metadata
from orderdesk_shared.migrations import run_env

run_env(metadata=metadata, url_variable="INTAKE_DATABASE_URL")

"""Intake's application: `uvicorn --factory intake.main:create_app`."""

from fastapi import FastAPI

from intake import api
from intake.bootstrap import bootstrap
from intake.domain.validation import IntakeRules
from intake.settings import Settings
from orderdesk_shared.app import build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # Loaded here so a bad matrix or reference file stops intake at start, with the reason.
    rules = IntakeRules.load(matrix_path=settings.order_entry_matrix, reference_dir=settings.reference_dir)
    app = build_app(bootstrap(settings), title="OrderDesk intake", routers=[api.router, api.coaching_router])
    app.state.intake_rules = rules
    return app

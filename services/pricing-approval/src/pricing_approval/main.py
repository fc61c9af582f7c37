"""pricing-approval's application: `uvicorn --factory pricing_approval.main:create_app`."""

from fastapi import FastAPI

from orderdesk_shared.app import build_app
from pricing_approval import api, capital_review_api, rep_proposal_api
from pricing_approval.bootstrap import bootstrap
from pricing_approval.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        bootstrap(settings),
        title="OrderDesk pricing-approval",
        routers=[api.router, capital_review_api.router, rep_proposal_api.router, api.catalogue_router],
        upload_paths=rep_proposal_api.UPLOAD_PATHS,
    )

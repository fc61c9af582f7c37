"""The console's web pages: server-rendered, signed in with a JWT kept in a cookie; every action is a call to the
owning service's API with the signed-in person's token. One module a page (or a page and what is done from it);
`common` holds what they all share."""

from fastapi import APIRouter

from console.pages import (
    approvals,
    asyncapi,
    catalogue_tickets,
    coaching,
    dashboard,
    disputes,
    escalations,
    notifications,
    order,
    order_actions,
    order_lists,
    reports,
    sign_in,
    site_surveys,
)
from console.pages.common import TOKEN_COOKIE, NotSignedIn, to_sign_in

__all__ = ["TOKEN_COOKIE", "NotSignedIn", "router", "to_sign_in"]


def _every_page() -> APIRouter:
    """One router of every page's routes, flat: an included router is served alike but listed as one entry, which
    hides the pages from whoever reads the routes (the README's API table is checked against them)."""
    # The order FastAPI tries them in, as they always were.
    modules = (
        asyncapi,
        sign_in,
        dashboard,
        order_lists,
        order,
        order_actions,
        coaching,
        approvals,
        escalations,
        site_surveys,
        catalogue_tickets,
        disputes,
        reports,
        notifications,
    )
    return APIRouter(routes=[route for module in modules for route in module.router.routes])


router = _every_page()

"""Site surveys: serviceability's open surveys, which Operations completes here."""

from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from console.pages.common import SERVICEABILITY, Person, act, page_from_service, page_router

router = page_router()


@router.get("/site-surveys", response_class=HTMLResponse)
async def site_surveys(request: Request, person: Person) -> HTMLResponse:
    """The open site surveys, soonest due first, from serviceability; Operations completes them here."""
    return await page_from_service(
        request, person, "site_surveys.html", SERVICEABILITY, "/serviceability/siteSurveys", shown_as="surveys"
    )


@router.post("/site-surveys/{survey_id}/complete")
async def complete_site_survey(
    survey_id: str,
    person: Person,
    distance_to_fiber_ft: Annotated[str, Form()],
    notes: Annotated[str, Form()] = "",
    photos: Annotated[str, Form()] = "",
) -> Response:
    """What the surveyor found, to serviceability; it judges the figures (a bad distance comes back as its 422)."""
    found = {
        "distanceToFiberFt": distance_to_fiber_ft.strip(),
        "notes": notes.strip() or None,
        "photos": [line.strip() for line in photos.splitlines() if line.strip()],
    }
    return await act(
        person,
        SERVICEABILITY,
        f"/serviceability/siteSurveys/{quote(survey_id, safe='')}/completion",
        found,
        back_to="/site-surveys",
        done=lambda survey: (
            f"Completed the survey of {survey['site']}: order {survey['orderId']} is {survey['orderOutcome']}"
        ),
    )

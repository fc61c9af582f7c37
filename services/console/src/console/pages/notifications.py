"""Status mail: whether the signed-in person gets a mail when an order they are on moves, and, for the desk, anyone's
by address (a customer contact who asked by reply). The console's own record, as the API keeps it."""

from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import EmailStr, TypeAdapter, ValidationError

from console.notification_preferences import PreferenceRefused, own_email, preference, set_preference
from console.pages.common import Person, back_with_notice, page, page_router
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.context import ContextDep

router = page_router()
_EMAIL = TypeAdapter(EmailStr)


@router.get("/notifications", response_class=HTMLResponse)
async def notifications(request: Request, person: Person, db: DatabaseDep, email: str = "") -> HTMLResponse:
    """The person's own preference (a rep: by their roster e-mail), or the address the desk asks about."""
    shown, refused = None, None
    async with db.unit_of_work() as uow:
        address = email.strip() or await own_email(uow, person.principal)
        if address is None:
            refused = "You are not on the rep roster, so no status mail is sent to you."
        else:
            try:
                shown = await preference(uow, person.principal, address)
            except PreferenceRefused as refusal:
                refused = f"{address}: {refusal}"
    return page(request, "notifications.html", person.principal, preference=shown, refused=refused)


@router.post("/notifications")
async def set_notifications(
    person: Person,
    db: DatabaseDep,
    context: ContextDep,
    email: Annotated[str, Form()],
    status_mail: Annotated[str, Form()],
) -> Response:
    """Status mail on or off for the address, from the next event on."""
    back = f"/notifications?email={quote(email.strip())}"
    try:
        address = _EMAIL.validate_python(email.strip())
    except ValidationError:
        return back_with_notice("/notifications", f"{email.strip() or 'Nothing'} is not an e-mail address.")
    async with db.unit_of_work() as uow:
        try:
            kept = await set_preference(
                uow, person.principal, address, status_mail=status_mail == "on", at=context.clock()
            )
        except PreferenceRefused as refusal:
            return back_with_notice(back, f"{address}: {refusal}")
    told = "gets status mail" if kept["statusMail"] else "gets no status mail"
    return back_with_notice(back, f"{kept['email']} {told} from the next event on.")

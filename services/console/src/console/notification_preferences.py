"""Who gets status mail: a person's preference read and set, by the person (a rep: by their roster e-mail) or the
desk for anyone; the API and the page share it."""

from datetime import datetime
from typing import Any

from console.domain.notifications import may_set_preference
from console.unit_of_work import ConsoleUnitOfWork
from orderdesk_shared.auth import Principal, Role


class PreferenceRefused(PermissionError):
    """The caller may neither see nor set this address's preference."""


async def own_email(uow: ConsoleUnitOfWork, person: Principal) -> str | None:
    """The person's e-mail address as the rep roster has it (none for people not on it)."""
    rep = (await uow.reps.by_ids([person.subject])).get(person.subject)
    return rep.email if rep else None


async def preference(uow: ConsoleUnitOfWork, caller: Principal, email: str) -> dict[str, Any]:
    """Whether the person with this address gets status mail, and who said so when."""
    await _may_see(uow, caller, email)
    return _view(email, await uow.preferences.get(email))


async def set_preference(
    uow: ConsoleUnitOfWork, caller: Principal, email: str, *, status_mail: bool, at: datetime
) -> dict[str, Any]:
    """Status mail for the address from the next event on, or none."""
    await _may_see(uow, caller, email)
    await uow.preferences.set(email, status_mail=status_mail, changed_by=caller.subject, at=at)
    return _view(email, await uow.preferences.get(email))


async def _may_see(uow: ConsoleUnitOfWork, caller: Principal, email: str) -> None:
    desk = Role.SPECIALIST in caller.roles
    if not may_set_preference(desk=desk, own_email=await own_email(uow, caller), email=email):
        raise PreferenceRefused("only the person (a rep: their roster e-mail) or the desk")


def _view(email: str, kept: dict[str, Any] | None) -> dict[str, Any]:
    if kept is None:
        return {"email": email.lower(), "statusMail": True, "changedBy": None, "changedAt": None}
    return {
        "email": kept["email"],
        "statusMail": kept["status_mail"],
        "changedBy": kept["changed_by"],
        "changedAt": kept["changed_at"].isoformat(),
    }

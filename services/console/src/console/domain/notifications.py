"""Status notifications: which timeline lines mail whom (the policy, policies/notifications.v1.toml), and the mail
each person gets: what happened to which order, what was found and how to fix it, what to do next."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from console.domain.mail import Mail
from console.domain.timeline import REP_SEPARATOR, OrderRow, TimelineEntry
from orderdesk_shared.events.commission import RosterRep

PREFERENCES_PATH = "/console/notification-preferences"
PREFERENCES_PAGE = "/notifications"


class EventNotice(BaseModel):
    """What the mail about one kind of line says, and whether the order's customer contacts get it too."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    happened: str
    to_do: str
    customer: bool = False
    # Lines whose findings all have these reasons mail nobody (someone else's move).
    except_reasons: frozenset[str] = frozenset()


class NotificationPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    news_hours: float = Field(gt=0)
    events: dict[str, EventNotice]


@dataclass(frozen=True)
class Notified:
    """A line that mails people: the notice for its kind, the line, and its order as the line left it."""

    notice: EventNotice
    line: TimelineEntry
    order: OrderRow

    @property
    def rep_ids(self) -> list[str]:
        return self.order.sales_reps.split(REP_SEPARATOR) if self.order.sales_reps else []


def notified(
    policy: NotificationPolicy, lines: Sequence[TimelineEntry], orders: Mapping[str, OrderRow], *, now: datetime
) -> list[Notified]:
    """The lines that mail people, in the order they happened (a poll's lines come partition by partition): of a
    kind the policy names, recent news (within its `news_hours`), about the order's current version (news of a
    version since corrected tells nobody anything), and not only about what is someone else's move."""
    since = now - timedelta(hours=policy.news_hours)
    chosen = []
    for line in lines:
        notice, order = policy.events.get(line.kind), orders.get(line.order_id)
        if notice is None or order is None or line.occurred_at < since or line.order_version < order.order_version:
            continue
        reasons = {finding.get("reasonCode") for finding in line.why}
        if reasons and reasons <= notice.except_reasons:
            continue
        chosen.append(Notified(notice, line, order))
    return sorted(chosen, key=lambda notice: notice.line.occurred_at)


def status_mails(
    news: Sequence[Notified],
    *,
    reps: Mapping[str, RosterRep],
    contacts: Mapping[str, Sequence[str]],
    unsubscribed: set[str],
    console_url: str,
) -> list[Mail]:
    """One mail per line and person: each rep of the order on the roster, and (where the notice says) each of its
    customer `contacts` (e-mail addresses, by order id); nobody in `unsubscribed` (lower case). The dedupe key is
    the line's event and the person, so an event heard twice mails nobody twice."""
    mails = []
    for notice in news:
        # A person both rep and contact hears it as the rep.
        people: dict[str, tuple[str, str]] = {}
        for rep_id in notice.rep_ids:
            if rep_id in reps:
                people.setdefault(reps[rep_id].email, _for_the_rep(notice, reps[rep_id], console_url))
        for email in contacts.get(notice.order.id, ()) if notice.notice.customer else ():
            people.setdefault(email, _for_the_customer(notice))
        for email, (subject, text) in people.items():
            if email.lower() in unsubscribed:
                continue
            mails.append(
                Mail(
                    dedupe_key=f"status:{notice.line.message_id}:{email.lower()}",
                    recipients=(email,),
                    subject=subject,
                    text=text + _how_to_unsubscribe(email, console_url),
                )
            )
    return mails


def _order_named(order: OrderRow) -> str:
    reference = f" ({order.external_id})" if order.external_id else ""
    return f"Order {order.id}{reference}" + (f" for {order.account}" if order.account else "")


def _for_the_rep(notice: Notified, rep: RosterRep, console_url: str) -> tuple[str, str]:
    order, line = notice.order, notice.line
    subject = f"{_order_named(order)} {notice.notice.happened}"
    paragraphs = [
        f"Hello {rep.name},",
        f"{_order_named(order)} {notice.notice.happened} ({_when(line.occurred_at)}): {line.what}.",
    ]
    if line.why:
        paragraphs.append("What was found:\n" + "\n".join(_finding(finding) for finding in line.why))
    paragraphs.append(f"What to do: {notice.notice.to_do}")
    paragraphs.append(f"The order in the console: {console_url}/orders/{order.id}")
    paragraphs.append("You get this mail as a sales rep on the order.")
    return subject, "\n\n".join(paragraphs)


def _for_the_customer(notice: Notified) -> tuple[str, str]:
    order = notice.order
    yours = f"Your order {order.external_id or order.id}"
    text = f"Hello,\n\n{yours} {notice.notice.happened} ({_when(notice.line.occurred_at)})."
    text += f"\n\nYour sales rep can tell you more; our reference is {order.id}."
    return f"{yours} {notice.notice.happened}", text


def _finding(finding: Mapping[str, Any]) -> str:
    where = f" ({finding['fieldPath']})" if finding.get("fieldPath") else ""
    line = f"- {finding.get('reasonCode')}{where}: {finding.get('message')}"
    return line + (f"\n  How to fix: {finding['fix']}" if finding.get("fix") else "")


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _how_to_unsubscribe(email: str, console_url: str) -> str:
    return (
        f"\n\n--\nTo get no more status mail: {console_url}{PREFERENCES_PAGE} (signed in), or reply and the desk"
        f" stops it for you ({email.lower()}; PUT {console_url}{PREFERENCES_PATH}/{email.lower()}"
        ' with {"statusMail": false} does the same).'
    )


def may_set_preference(*, desk: bool, own_email: str | None, email: str) -> bool:
    """Whether a person may see or set `email`'s preference: the desk (specialists) for anyone, a customer contact
    who wrote in included; anyone else for their own address (a rep's from the roster)."""
    return desk or (own_email is not None and own_email.lower() == email.lower())

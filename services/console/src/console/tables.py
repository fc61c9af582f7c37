"""The console's tables, in the `console` schema: the timeline read model, rebuilt from the topics at will, and the
desk's assignments, which only the console knows."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from orderdesk_shared.messaging import service_metadata
from orderdesk_shared.order_state import FINAL_STATES
from orderdesk_shared.table_columns import order_version_columns, service_request_columns

metadata, messaging = service_metadata("console")

# Final: completed, partial, cancelled. A failed install is not: the desk resolves it with Operations.
ENDED_STATES = tuple(sorted(FINAL_STATES))

timeline_events = sa.Table(
    "timeline_events",
    metadata,
    sa.Column("message_id", sa.Text, primary_key=True),
    *order_version_columns(order_indexed=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("stage", sa.Text),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("what", sa.Text, nullable=False),
    sa.Column("why", JSONB, nullable=False),
    sa.Column("trace_id", sa.Text),
    sa.Column("order_summary", JSONB),
    sa.Column("awaiting", sa.Text),
    sa.Column("awaiting_due_at", sa.DateTime(timezone=True)),
    # The items an Operations report is about (none: the whole order).
    sa.Column("item_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("order_version", sa.Integer, nullable=False),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("last_event", sa.Text, nullable=False),
    sa.Column("findings", JSONB, nullable=False),
    sa.Column("blocker", sa.Text),
    sa.Column("trace_id", sa.Text),
    sa.Column("jeopardy", sa.Text),
    sa.Column("assignee", sa.Text),
    sa.Column("sla_due_at", sa.DateTime(timezone=True)),
    # When the approvals a priced order waits for are due (pricing-approval's due time).
    sa.Column("awaiting_due_at", sa.DateTime(timezone=True)),
    sa.Column("channel", sa.Text),
    sa.Column("order_type", sa.Text),
    sa.Column("account", sa.Text),
    sa.Column("submitted_by", sa.Text),
    sa.Column("external_id", sa.Text),
    # The order's sales reps, comma-separated: what a search by rep looks in.
    sa.Column("sales_reps", sa.Text),
    sa.Column("handed_off_at", sa.DateTime(timezone=True), index=True),
    sa.Column("ratified_at", sa.DateTime(timezone=True), index=True),
    # Each item's TMF622 state.
    sa.Column("item_states", JSONB, nullable=False, server_default="{}"),
    # What folding the order's next lines on needs (console.domain.timeline.Folded): the status its facts give and
    # the place of the last line folded. None: its next lines are folded with its whole timeline again.
    sa.Column("folded", JSONB),
    sa.Index("orders_state_stage", "state", "stage"),
)

# An order not yet ended. Written into each statement rather than bound, so that Postgres, whichever plan it keeps
# for a prepared statement, sees the very predicate of the open orders' index below.
OPEN_ORDER = orders.c.state.not_in(sa.bindparam("ended_states", ENDED_STATES, expanding=True, literal_execute=True))

# The open orders by due time: what the SLA watch, the overdue lists and the open orders' figures read, on a timer or
# on every change, so they cost what is open rather than every order ever seen.
sa.Index("orders_open_by_sla_due", orders.c.sla_due_at, orders.c.id, postgresql_where=OPEN_ORDER)

# What the SLA watchdog raised: once per order version, stage and level, even before it reads its own event back.
jeopardy_raised = sa.Table(
    "jeopardy_raised",
    metadata,
    *order_version_columns(primary_key=True),
    sa.Column("stage", sa.Text, primary_key=True),
    sa.Column("level", sa.Text, primary_key=True),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
)

# Who on the desk has each order, one row per assignment (the latest is in force): people's doing, not the topics',
# so a rebuild of the read model keeps them.
assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    *order_version_columns(),
    sa.Column("assignee", sa.Text, nullable=False),
    sa.Column("assigned_by", sa.Text, nullable=False),
    sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("assignments_order_time", "order_id", "assigned_at"),
)

# What the reports read of each event, with the event's time (console.domain.report_facts): rebuilt from the topics
# with the timelines, so a past period's report reads the same whenever it is asked for.
report_facts = sa.Table(
    "report_facts",
    metadata,
    sa.Column("message_id", sa.Text, primary_key=True),
    *order_version_columns(),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("fact", JSONB, nullable=False),
    sa.Index("report_facts_kind_time", "kind", "occurred_at"),
    sa.Index("report_facts_order", "order_id"),
)

# The rep roster as commission last announced it (roster.published): whose e-mail a status notification goes to,
# and the teams reports group by.
reps = sa.Table(
    "reps",
    metadata,
    sa.Column("rep_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("team", sa.Text, nullable=False),
    sa.Column("manager_id", sa.Text),
    sa.Column("active_from", sa.Date, nullable=False),
    sa.Column("active_to", sa.Date),
)

# Mail waiting for the sender loop, and mail sent (kept: its dedupe key is what stops it being queued again).
# Attachments: a JSON list of {filename, contentType, base64}.
mail_outbox = sa.Table(
    "mail_outbox",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("dedupe_key", sa.Text, nullable=False, unique=True),
    sa.Column("recipients", ARRAY(sa.Text), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("attachments", JSONB, nullable=False, server_default="[]"),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    # When the sender tries it next: at once, then later after each failure.
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Index("mail_outbox_unsent", "next_attempt_at", postgresql_where=sa.text("sent_at IS NULL")),
)

# Who asked for no status mail (or for it again), by e-mail address, lower case: reps and customer contacts alike.
notification_preferences = sa.Table(
    "notification_preferences",
    metadata,
    sa.Column("email", sa.Text, primary_key=True),
    sa.Column("status_mail", sa.Boolean, nullable=False),
    sa.Column("changed_by", sa.Text, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

# Each report schedule's runs so far: the runs due after the last one queued (before any, after the console first
# checked the schedule) are due, so a restart neither skips a run nor repeats one; the mail's dedupe key in the
# outbox keeps two consoles from mailing a run twice.
report_schedules = sa.Table(
    "report_schedules",
    metadata,
    sa.Column("schedule", sa.Text, primary_key=True),
    sa.Column("first_checked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_due_at", sa.DateTime(timezone=True)),
    sa.Column("last_queued_at", sa.DateTime(timezone=True)),
)

# The service requests the desk opened on orders for other departments (intake's orders.service-requests), each as
# its latest change left it: the work queue lists the open ones, soonest due first.
service_requests = sa.Table(
    "service_requests",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    *order_version_columns(order_indexed=True),
    *service_request_columns(),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

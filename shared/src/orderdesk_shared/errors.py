"""How a handler says a failure is permanent (dead-letter) or transient (retry, then pause)."""


class PermanentError(Exception):
    """The record can never be handled as it is: dead-letter it with this reason and move on."""


class TransientError(Exception):
    """Handling may succeed later (a dependency is down): retry, and do not commit the offset."""

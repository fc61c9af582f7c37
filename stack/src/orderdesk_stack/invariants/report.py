"""The invariant checker's report: every order's account and each violation, as tables or lines a person acts on."""

from collections import Counter
from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text

from orderdesk_stack.invariants.accounts import OrderAccount
from orderdesk_stack.invariants.rules import ENDINGS


@dataclass(frozen=True)
class InvariantReport:
    """Every checked order's account, and each violation as a line a person can act on: orders lost, effects
    doubled (naming service, order, version and effect), stages that went backwards, lag or backlog left."""

    accounts: dict[str, OrderAccount]
    lost: list[str]
    duplicated: list[str]
    regressions: list[str]
    undrained: list[str]
    records_read: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.regressions or self.undrained)

    @property
    def lost_count(self) -> int:
        return len(self.lost)

    @property
    def duplicated_count(self) -> int:
        return len(self.duplicated)

    def render(self, *, most: int = 50) -> Group:
        """The orders per ending and state, each invariant's verdict, then the violations (at most `most` of each
        kind: a disaster's full list is in `problems()`)."""
        endings = Table(title="orders per ending", title_justify="left")
        for column, justify in (("ending", "left"), ("state", "left"), ("orders", "right")):
            endings.add_column(column, justify=justify)
        counted = Counter((account.ending, account.state) for account in self.accounts.values())
        for (ending, state), count in sorted(counted.items(), key=lambda item: (ENDINGS.index(item[0][0]), item[0])):
            endings.add_row(Text(ending, style="red" if ending == "unaccounted" else ""), state, f"{count:,}")
        checks = Table(title="invariants", title_justify="left")
        for column, justify in (("invariant", "left"), ("violations", "right")):
            checks.add_column(column, justify=justify)
        shown: list[Text] = []
        for label, found in self.violations().items():
            checks.add_row(label, Text(f"{len(found):,}", style="red" if found else "green"))
            shown += [Text(f"{label}: {line}", style="red") for line in found[:most]]
            if len(found) > most:
                shown.append(Text(f"{label}: ... and {len(found) - most:,} more", style="red"))
        verdict = "ok" if self.ok else "VIOLATED"
        summary = Text(
            f"{len(self.accounts):,} orders, {self.records_read:,} records read in {self.seconds:.1f} s: {verdict}",
            style="green" if self.ok else "bold red",
        )
        return Group(endings, checks, *shown, summary)

    def problems(self) -> list[str]:
        """Every violation, one line each, saying which invariant it breaks."""
        return [f"{label}: {line}" for label, found in self.violations().items() for line in found]

    def violations(self) -> dict[str, list[str]]:
        """Each invariant's violations, one line each, by the invariant's name."""
        return {
            "lost": [f"{order_id}: {self.accounts[order_id].reason}" for order_id in self.lost],
            "duplicated": self.duplicated,
            "moved backwards": self.regressions,
            "undrained": self.undrained,
        }

"""The chaos run's verdict: it holds only when every fault struck at its moment and no invariant broke, and its
last line says what failed."""

from orderdesk_stack.chaos import ChaosResult, FaultOutcome
from orderdesk_stack.invariants import InvariantReport

CLEAN = InvariantReport(accounts={}, lost=[], duplicated=[], regressions=[], undrained=[])


def _run(*outcomes: FaultOutcome, report: InvariantReport = CLEAN, settled: bool = True) -> ChaosResult:
    return ChaosResult(list(outcomes), report, order_ids=[], seconds=1.0, settled=settled)


def test_a_run_with_every_fault_at_its_moment_and_no_violation_holds():
    result = _run(FaultOutcome("broker-kill"), FaultOutcome("slow-handler"))
    assert result.ok
    assert result.verdict().plain.startswith("The run holds")


def test_a_fault_that_missed_its_moment_fails_the_run_though_no_invariant_broke():
    result = _run(FaultOutcome("broker-kill"), FaultOutcome("slow-handler", missed=True))
    assert not result.ok
    assert result.verdict().plain == "The run fails: slow-handler missed its moment."


def test_the_verdict_names_every_failing():
    doubled = InvariantReport(
        accounts={}, lost=[], duplicated=["commission ratified PO-1 twice"], regressions=[], undrained=[]
    )
    result = _run(FaultOutcome("disk-full", failed=True), report=doubled, settled=False)
    assert result.verdict().plain == (
        "The run fails: disk-full not injected; 1 duplicated;"
        " orders still moving, or people acting on them, at the end."
    )

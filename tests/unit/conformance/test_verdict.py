"""The verdict: undeclared is never passed, waivers excuse only failures and must still match."""

from __future__ import annotations

from datetime import date

from sandbox.conformance.declaration import Declaration, Waiver, Waivers, everything
from sandbox.conformance.verdict import Case, judge

TODAY = date(2026, 1, 15)


def case(name: str, outcome: str, rules: list[str], ops: list[str] | None = None, **kw: object) -> Case:
    return Case(test=f"t::{name}", feature="f", scenario=name, rules=rules, outcome=outcome, operations=ops or [], **kw)  # type: ignore[arg-type]


def test_all_passed_is_conforming() -> None:
    verdict = judge([case("a", "passed", ["COOP-01"], ["coop.lookup"])], everything("coop"), Waivers(), TODAY)
    assert verdict.ok and verdict.headline == "CONFORME" and verdict.reasons() == []
    assert verdict.rules["COOP-01"].status == "passed"
    assert verdict.operations["coop.lookup"].passed == 1


def test_a_failure_fails_the_run_and_its_rule_and_operation() -> None:
    cases = [
        case("a", "passed", ["COOP-03"], ["coop.debit"]),
        case("b", "failed", ["COOP-03"], ["coop.debit", "coop.post"]),
    ]
    verdict = judge(cases, everything("coop"), Waivers(), TODAY)
    assert not verdict.ok and verdict.headline == "NO CONFORME"
    assert verdict.rules["COOP-03"].status == "failed"
    assert verdict.operations["coop.post"].status == "failed"
    assert verdict.reasons() == ["1 escenario(s) fallaron"]


def test_undeclared_is_skipped_never_passed_and_the_operation_is_listed() -> None:
    declaration = Declaration(operations=("lookup", "debit"))
    cases = [
        case("a", "passed", ["COOP-01"]),
        case("b", "skipped", ["COOP-05"], ["coop.reversal"], undeclared=True, skip_reason="no declarada: x"),
    ]
    verdict = judge(cases, declaration, Waivers(), TODAY)
    assert verdict.ok
    assert verdict.rules["COOP-05"].status == "skipped"
    assert verdict.totals.passed == 1 and verdict.totals.skipped == 1
    assert "coop.reversal" in verdict.undeclared_operations


def test_nothing_run_is_not_a_pass() -> None:
    verdict = judge([case("a", "skipped", ["COOP-01"], undeclared=True)], everything("coop"), Waivers(), TODAY)
    assert not verdict.ok and verdict.headline == "SIN PRUEBAS EJECUTADAS"


def test_a_waiver_excuses_a_matching_failure() -> None:
    waivers = Waivers(waivers=(Waiver(scenario="b", reason="falla conocida de la versión 2.3"),))
    verdict = judge([case("a", "passed", ["X-01"]), case("b", "failed", ["X-01"])], everything("coop"), waivers, TODAY)
    assert verdict.ok
    assert verdict.cases[1].status == "waived" and verdict.cases[1].waiver is not None
    assert verdict.rules["X-01"].status == "waived"


def test_a_waiver_never_excuses_a_pass_and_a_stale_one_fails_the_run() -> None:
    waivers = Waivers(waivers=(Waiver(scenario="a", reason="ya no falla, se corrigió"),))
    verdict = judge([case("a", "passed", ["X-01"])], everything("coop"), waivers, TODAY)
    assert verdict.cases[0].status == "passed"
    assert not verdict.ok and verdict.stale_waivers == list(waivers.waivers)
    assert "no corresponde a ninguna falla" in verdict.reasons()[0]


def test_an_expired_waiver_excuses_nothing_and_is_not_stale() -> None:
    waivers = Waivers(waivers=(Waiver(rule="X-01", reason="vencida hace tiempo", until=date(2025, 12, 31)),))
    verdict = judge([case("b", "failed", ["X-01"])], everything("coop"), waivers, TODAY)
    assert verdict.cases[0].status == "failed" and not verdict.ok
    assert verdict.stale_waivers == [] and len(verdict.expired_waivers) == 1


def test_a_failure_is_blamed_on_the_operation_of_the_request_that_failed() -> None:
    exchanges = [
        {"to_participant": True, "operation": "coop.lookup"},
        {"to_participant": True, "operation": "coop.debit"},
    ]
    failed = case("b", "failed", ["COOP-03"], ["coop.lookup", "coop.debit"], exchanges=exchanges)
    verdict = judge([failed], everything("coop"), Waivers(), TODAY)
    assert verdict.operations["coop.debit"].status == "failed"
    assert verdict.operations["coop.lookup"].status == "passed"
    # without a request to blame (an end-to-end scenario: the switch called the core), all fail
    verdict = judge(
        [case("c", "failed", ["PSE-12"], ["coop.debit", "coop.post"])], everything("coop"), Waivers(), TODAY
    )
    assert verdict.operations["coop.post"].status == "failed" and verdict.operations["coop.debit"].status == "failed"

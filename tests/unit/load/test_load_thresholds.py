"""Thresholds against aggregated stats: each limit gives a verdict; a request type that never ran misses."""

from __future__ import annotations

import pytest

from sandbox.load.profiles import RequestLimits, Thresholds
from sandbox.load.thresholds import AGGREGATED, DEPOSIT, WITHDRAWAL, RequestStats, evaluate, holds_per_s


def stats(
    name: str, *, n: int = 1000, fails: int = 0, p95: float = 50, p99: float = 80, rps: float = 100
) -> RequestStats:
    return RequestStats(name, n, fails, p50_ms=20, p95_ms=p95, p99_ms=p99, rps=rps)


STATS = {
    WITHDRAWAL: stats(WITHDRAWAL, rps=700, p99=90),
    DEPOSIT: stats(DEPOSIT, rps=300, p95=40),
    AGGREGATED: stats(AGGREGATED, n=4000, fails=2, rps=2000),
}


def test_holds_per_second_are_withdrawals_and_deposits_opened() -> None:
    assert holds_per_s(STATS) == 1000


@pytest.mark.parametrize(
    ("thresholds", "missed"),
    [
        (Thresholds(fail_ratio_max=0.001), []),
        (Thresholds(fail_ratio_max=0.0001), [(AGGREGATED, "fail_ratio")]),
        (Thresholds(min_holds_per_s=1000), []),
        (Thresholds(min_holds_per_s=1001), [("holds", "rps")]),
        (Thresholds(requests={WITHDRAWAL: RequestLimits(p99_ms=100, p95_ms=50)}), []),
        (Thresholds(requests={WITHDRAWAL: RequestLimits(p99_ms=89)}), [(WITHDRAWAL, "p99_ms")]),
        (
            Thresholds(requests={DEPOSIT: RequestLimits(p95_ms=39, min_rps=301)}),
            [(DEPOSIT, "p95_ms"), (DEPOSIT, "rps")],
        ),
        (Thresholds(requests={"/never/ran": RequestLimits(p99_ms=1000)}), [("/never/ran", "requests")]),
    ],
)
def test_each_limit_gives_a_verdict(thresholds: Thresholds, missed: list[tuple[str, str]]) -> None:
    verdicts = evaluate(thresholds, STATS)
    assert [(v.subject, v.metric) for v in verdicts if not v.ok] == missed
    assert verdicts  # every configured limit is reported, passed or not


def test_a_run_with_no_requests_misses_its_fail_ratio() -> None:
    [verdict] = evaluate(Thresholds(fail_ratio_max=0.5), {})
    assert not verdict.ok
    assert "MISSED" in verdict.line()

"""Thresholds evaluated on the aggregated stats of a run (Locust's master with ``--processes``).

The Locust side turns ``environment.stats`` into plain :class:`RequestStats` (one per request
``name``, plus ``Aggregated``) and calls :func:`evaluate`; a missed threshold sets the process
exit code. Kept free of Locust so it is unit-tested like any pure function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sandbox.load.profiles import RequestLimits, Thresholds

#: Request names (Locust's ``name=``: URLs with ids grouped).
WITHDRAWAL = "/sicoop/v1/withdrawals"
WITHDRAWAL_CONFIRM = "/sicoop/v1/withdrawals/{id}/confirm"
WITHDRAWAL_RELEASE = "/sicoop/v1/withdrawals/{id}/release"
DEPOSIT = "/sicoop/v1/deposits"
DEPOSIT_CONFIRM = "/sicoop/v1/deposits/{id}/confirm"
CASHIER = "/red/v1/operations"
HEALTH = "/_sandbox/health"
AGGREGATED = "Aggregated"
#: The requests that open a hold at CEIBO through the switch (authorizations).
HOLDS = (WITHDRAWAL, DEPOSIT)


@dataclass(frozen=True, slots=True)
class RequestStats:
    name: str
    num_requests: int
    num_failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float

    @property
    def fail_ratio(self) -> float:
        return self.num_failures / self.num_requests if self.num_requests else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fail_ratio": self.fail_ratio}


@dataclass(frozen=True, slots=True)
class Verdict:
    subject: str  # a request name, "Aggregated" or "holds"
    metric: str  # fail_ratio, p95_ms, p99_ms, rps
    limit: float
    observed: float
    ok: bool

    def line(self) -> str:
        sign = "≤" if self.metric in ("fail_ratio", "p95_ms", "p99_ms") else "≥"
        mark = "ok" if self.ok else "MISSED"
        return f"{mark:6} {self.subject} {self.metric} {self.observed:.4g} (limit {sign} {self.limit:g})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def holds_per_s(stats: Mapping[str, RequestStats]) -> float:
    return sum(stats[name].rps for name in HOLDS if name in stats)


def _request(subject: str, limits: RequestLimits, found: RequestStats | None) -> list[Verdict]:
    out: list[Verdict] = []
    if found is None or found.num_requests == 0:
        # A threshold on a request type that never ran is missed, never silently passed.
        for metric in ("p95_ms", "p99_ms", "min_rps", "fail_ratio_max"):
            limit = getattr(limits, metric)
            if limit is not None:
                out.append(Verdict(subject, "requests", limit, 0.0, False))
                break
        return out
    if limits.fail_ratio_max is not None:
        out.append(
            Verdict(
                subject,
                "fail_ratio",
                limits.fail_ratio_max,
                found.fail_ratio,
                found.fail_ratio <= limits.fail_ratio_max,
            )
        )
    if limits.p95_ms is not None:
        out.append(Verdict(subject, "p95_ms", limits.p95_ms, found.p95_ms, found.p95_ms <= limits.p95_ms))
    if limits.p99_ms is not None:
        out.append(Verdict(subject, "p99_ms", limits.p99_ms, found.p99_ms, found.p99_ms <= limits.p99_ms))
    if limits.min_rps is not None:
        out.append(Verdict(subject, "rps", limits.min_rps, found.rps, found.rps >= limits.min_rps))
    return out


def evaluate(thresholds: Thresholds, stats: Mapping[str, RequestStats]) -> list[Verdict]:
    """Every threshold against the stats; a verdict per limit, in the file's order."""
    out: list[Verdict] = []
    total = stats.get(AGGREGATED)
    if thresholds.fail_ratio_max is not None:
        ratio = total.fail_ratio if total is not None else 0.0
        ran = total is not None and total.num_requests > 0
        out.append(
            Verdict(
                AGGREGATED, "fail_ratio", thresholds.fail_ratio_max, ratio, ran and ratio <= thresholds.fail_ratio_max
            )
        )
    if thresholds.min_holds_per_s is not None:
        observed = holds_per_s(stats)
        out.append(
            Verdict("holds", "rps", thresholds.min_holds_per_s, observed, observed >= thresholds.min_holds_per_s)
        )
    for name, limits in thresholds.requests.items():
        out.extend(_request(name, limits, stats.get(name)))
    return out

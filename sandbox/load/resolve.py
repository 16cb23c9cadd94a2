"""Answers lost in a crash, resolved by asking the switch what really happened (issue 16, item 7).

A Locust user that gets no definitive answer (the party died under the request and did not come
back within the user's ride-out, CASH-11) leaves a :class:`~sandbox.load.ledger.Lost` record instead
of guessing an outcome. After the run has settled, :mod:`sandbox.load.check` looks each one up, as a
real collection network does after a crash, and :func:`outcome` decides — pure, no I/O — which
outcome bucket it belongs to and which ledger keys it adds:

===========  ===================================================  ================================
action        looked up                                            counted as
===========  ===================================================  ================================
``open``      SICOOP ``GET /sicoop/v1/{type}?trace_number=``       ``<kind>.opened`` and its status
                                                                   (declined with its reason,
                                                                   expired: nobody confirmed it), or
                                                                   *never arrived* (not there)
``confirm``   SICOOP ``GET /sicoop/v1/{type}/{id}``                its status: confirmed, released
``release``                                                        or expired
``cashier``   red ``GET /red/v1/operations/{trace}`` and SICOOP    ``cashier.<kind>.<key>`` from the
              by trace number                                      switch's status (completed,
                                                                   released, annulled = expired,
                                                                   declined), or *never arrived*
===========  ===================================================  ================================

What the switch cannot tell stays unresolved and fails the ``answers`` check: a transaction still
held after settling, a confirm whose transaction the switch does not know, a cashier's operation
still pending at red, or red and the switch disagreeing on whether cash moved.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from sandbox.load.ledger import Ledger, Lost

#: The switch's final statuses of a cash transaction.
SWITCH_FINAL: Final = frozenset({"confirmed", "released", "expired", "declined"})
#: Red's final statuses of a cashier's operation (``failed``: SICOOP never received it).
RED_FINAL: Final = frozenset({"completed", "declined", "released", "annulled", "failed", "diverged"})
#: The switch's status of a cashier's operation → the ledger key the outcome checks read
#: (``cashier.<kind>.<key>``; the check counts ``annulled`` with the expired ones).
CASHIER_KEY: Final = {"confirmed": "completed", "released": "released", "expired": "annulled", "declined": "declined"}
NEVER_ARRIVED: Final = "never arrived"
UNRESOLVED: Final = "unresolved"


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where one lost answer really ended."""

    record: Lost
    #: confirmed, released, expired, declined, never arrived — or unresolved (``why`` says why).
    bucket: str
    #: The ledger keys it adds, each with the record's amount.
    keys: tuple[str, ...] = ()
    why: str = ""

    @property
    def resolved(self) -> bool:
        return self.bucket != UNRESOLVED

    def to_dict(self) -> dict[str, Any]:
        return {**self.record.to_dict(), "bucket": self.bucket, "keys": list(self.keys), "why": self.why}


def _status(found: dict[str, Any] | None) -> str | None:
    return None if found is None else str(found.get("status") or "")


def _unresolved(record: Lost, why: str) -> Outcome:
    return Outcome(record, UNRESOLVED, (), why)


def outcome(record: Lost, switch: dict[str, Any] | None, red: dict[str, Any] | None = None) -> Outcome:
    """The bucket of ``record`` given what the switch shows for it (its transaction, or None when it
    has none) and, for a cashier's operation, what red shows (its operation, or None)."""
    kind = record.kind
    status = _status(switch)
    if record.action == "open":
        if switch is None:
            return Outcome(record, NEVER_ARRIVED)
        if status == "declined":
            reason = (switch or {}).get("reason_code") or "declined"
            return Outcome(record, "declined", (f"{kind}.opened", f"{kind}.declined.{reason}"))
        if status in SWITCH_FINAL:
            return Outcome(record, str(status), (f"{kind}.opened", f"{kind}.{status}"))
        return _unresolved(record, f"still {status} at the switch after settling")
    if record.action in ("confirm", "release"):
        if switch is None:
            return _unresolved(record, f"the switch does not know transaction {record.txn_id}")
        if status in ("confirmed", "released", "expired"):
            return Outcome(record, str(status), (f"{kind}.{status}",))
        return _unresolved(record, f"still {status} at the switch after settling")
    # a cashier's operation through red
    red_status = _status(red)
    if red is None:
        if switch is None:
            return Outcome(record, NEVER_ARRIVED)
        return _unresolved(record, f"red has no operation {record.trace_number}, the switch has it {status}")
    if red_status not in RED_FINAL:
        return _unresolved(record, f"still {red_status} at red after settling")
    if switch is None:
        if red_status in ("failed", "released", "annulled", "declined"):
            return Outcome(record, NEVER_ARRIVED)
        return _unresolved(record, f"{red_status} at red, unknown to the switch")
    if status not in SWITCH_FINAL:
        return _unresolved(record, f"still {status} at the switch after settling")
    if (red_status == "completed") != (status == "confirmed") or red_status == "diverged":
        return _unresolved(record, f"red says {red_status}, the switch says {status}")
    return Outcome(record, str(status), (f"cashier.{kind}.{CASHIER_KEY[str(status)]}",))


@dataclass
class Resolution:
    """Every lost answer's outcome, and the ledger with the resolved ones counted."""

    outcomes: list[Outcome]
    ledger: Ledger

    @property
    def unresolved(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.resolved]

    def buckets(self) -> dict[str, int]:
        return dict(sorted(Counter(o.bucket for o in self.outcomes).items()))

    def actions(self) -> dict[str, int]:
        return dict(sorted(Counter(o.record.action for o in self.outcomes).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "lost": len(self.outcomes),
            "unresolved": len(self.unresolved),
            "by_action": self.actions(),
            "by_bucket": self.buckets(),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def apply(ledger: Ledger, outcomes: list[Outcome]) -> Resolution:
    """A copy of ``ledger`` with each resolved outcome's keys counted (the records stay listed)."""
    counted = ledger.copy()
    for found in outcomes:
        for key in found.keys:
            counted.add(key, found.record.amount_minor)
    return Resolution(outcomes, counted)

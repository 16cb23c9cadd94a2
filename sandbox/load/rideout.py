"""How long a Locust user keeps re-sending a request whose answer was lost (CASH-11).

A lost answer is a connection refused or reset, a ``502``/``503``/``504``, or ``409
idempotency_in_progress``: the collection network sends the same trace number and the same body again
(the switch answers the first answer again, or does the work once). :func:`pauses` gives the waits
between those attempts:

* normally (``ride_out_s`` 0) three quick retries, 0.1, 0.2 and 0.3 s apart: a lost answer is rare
  and already a failure in Locust's statistics;
* with ``coop-sandbox load --chaos`` a back-off (0.1 s doubling up to :data:`MAX_PAUSE_S`) that
  lasts at least ``ride_out_s`` in all, long enough to cover a party's restart by the supervisor
  (measured: see BENCHMARKS.md; the runner passes :data:`CHAOS_RIDE_OUT_S`).

What is still unanswered after the last attempt becomes a :class:`~sandbox.load.ledger.Lost` record,
resolved after the run by asking the switch (:mod:`sandbox.load.resolve`).
"""

from __future__ import annotations

from typing import Final

#: The retries of a normal run (what the load generator always did).
QUICK: Final = (0.1, 0.2, 0.3)
FIRST_PAUSE_S: Final = 0.1
MAX_PAUSE_S: Final = 2.0
#: The ride-out of a chaos run: several times a restart (the supervisor waits 0.5 s, 1 s, 2 s … after
#: crashes in a row, and a party takes a few seconds to start on a busy 2-core machine).
CHAOS_RIDE_OUT_S: Final = 30.0
#: HTTP statuses that mean "no answer from the party" (0: connection refused, reset or timed out).
NO_ANSWER: Final = frozenset({0, 502, 503, 504})


def pauses(ride_out_s: float = 0.0) -> tuple[float, ...]:
    """The waits between attempts: :data:`QUICK` for 0, else a capped doubling back-off whose sum
    reaches ``ride_out_s``."""
    if ride_out_s <= 0:
        return QUICK
    out: list[float] = []
    pause = FIRST_PAUSE_S
    while sum(out) < ride_out_s:
        out.append(pause)
        pause = min(MAX_PAUSE_S, pause * 2)
    return tuple(out)


def lost(status_code: int, error: str | None = None) -> bool:
    """Whether an answer means the request's fate is unknown (re-send it with the same trace)."""
    return status_code in NO_ANSWER or (status_code == 409 and error == "idempotency_in_progress")

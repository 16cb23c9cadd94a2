"""The authorization core: pure decisions over frozen dataclasses (no I/O, no clock).

Time comes in as ``now_us`` (epoch microseconds, see :mod:`.instants`). Modules:

* :mod:`.holds` — hold state machine (pending → posted | voided | expired), the ledger view;
* :mod:`.limits` — limit policies, resolution, counters, the order of checks;
* :mod:`.otp` — one-time code policy (hash, single use, expiry, resend, lock);
* :mod:`.idempotency` — claim / replay / conflict decisions and canonical body hashes;
* :mod:`.errors` — the error hierarchy with stable codes.
"""

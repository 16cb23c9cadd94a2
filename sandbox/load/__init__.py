"""Load tests of the switch's authorization core: ``coop-sandbox load PROFILE``.

The Locust side lives in the repository's ``load/`` folder (locustfile, user classes, the shape,
``profiles.toml`` and ``thresholds.toml``); this package holds what does not need Locust, so it is
typed, unit-tested and importable by the test suite without gevent's monkey-patching:

=====================  ===========================================================================
:mod:`.profiles`        profiles (stages of a ``LoadTestShape``) and their thresholds, from TOML
:mod:`.thresholds`      thresholds evaluated on the master's aggregated stats
:mod:`.cards`           the card draw: a partition of the world's DIMO cards per Locust process and
                        their soft-tokens read in batches, one code per card per 30-second step
:mod:`.ledger`          what the load generator did as the collection network (mergeable tallies)
:mod:`.check`           correctness after a run: sweep, reconciliation, conservation, single use
:mod:`.resolve`         answers lost in a crash: where each really ended, from what the switch says
:mod:`.rideout`         how long a user re-sends a request whose answer was lost (CASH-11)
:mod:`.chaos`           a seeded kill schedule and the thread that carries it out (SIGKILL)
:mod:`.crashes`         ``--chaos``: the schedule during Locust, the restarts, the report of kills
:mod:`.runner`          the ``coop-sandbox load`` command: world, sandbox, Locust, checks, report
=====================  ===========================================================================

Nothing here imports Locust: Locust runs in its own process (``locust -f load/locustfile.py``).
"""

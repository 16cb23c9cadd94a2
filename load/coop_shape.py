"""The profile as a ``LoadTestShape``: stages from ``profiles.toml``, then a drain.

``tick()`` follows the profile's stages (users and spawn rate) until its duration; then it asks
for 0 users and waits until every process has finished the flows it started (a confirm in
flight when a user stopped still lands, so the ledger is exact) and has reported so; then the run
ends. The shape runs on the master (or the local runner): one shape for every process.
"""

from __future__ import annotations

import time
from typing import Any

from coop_runtime import REPORTS, profile_of
from locust import LoadTestShape

#: How long the drain may take (a flow's requests have 10 s timeouts and a few retries).
DRAIN_MAX_S = 60.0


class ProfileShape(LoadTestShape):
    def __init__(self) -> None:
        super().__init__()
        self._profile: Any = None
        self._user_classes: list[Any] | None = None
        self._drain_since: float | None = None

    def _setup(self) -> None:
        from coop_users import BareEndpoint, CashNetwork

        assert self.runner is not None
        options = self.runner.environment.parsed_options
        self._profile = profile_of(options)
        self._user_classes = [BareEndpoint] if options.coop_mix == "bare" else [CashNetwork]

    def tick(self) -> tuple[int, float, list[Any] | None] | None:
        if self._profile is None:
            self._setup()
        run_time = self.get_run_time()
        stage = self._profile.at(run_time)
        if stage is not None:
            users, rate = stage
            return users, rate, self._user_classes
        if self._drain_since is None:
            self._drain_since = time.monotonic()
        waited = time.monotonic() - self._drain_since
        if waited > DRAIN_MAX_S or (waited > 1.5 and REPORTS.drained(self.runner, self._drain_since + 1.0)):
            return None
        return 0, max(self._profile.spawn_rate, 100.0), self._user_classes

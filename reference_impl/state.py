"""The switch's ``PartyState``: ``/_sandbox/reset`` wipes its database back to the world, and
``/_sandbox/state`` exports a summary of each flow."""

from __future__ import annotations

from typing import Any

from reference_impl.flows.cash.service import CashService


class SwitchState:
    def __init__(self, cash: CashService) -> None:
        self.cash = cash

    def reset(self) -> None:
        self.cash.reset()

    def export(self) -> dict[str, Any]:
        repo = self.cash.repo
        with self.cash.auth.engine.connect() as conn:
            counts = repo.counts(conn)
            open_count = repo.open_count(conn)
            latest = repo.latest(conn, 50)
        return {
            "sicoop": {
                "transactions_by_status": counts,
                "open": open_count,
                "latest": [self.cash.view(t) for t in latest],
                "group_commit": {"batches": self.cash.batcher.batches, "units": self.cash.batcher.units},
            }
        }

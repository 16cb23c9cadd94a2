"""The switch's ``PartyState``: ``/_sandbox/reset`` wipes its database back to the world, and
``/_sandbox/state`` exports a summary of each flow."""

from __future__ import annotations

from typing import Any

from reference_impl.flows.cash.service import CashService
from reference_impl.flows.collections.service import CollectionsService
from reference_impl.flows.pse_bank.service import PseBankService


class SwitchState:
    def __init__(self, cash: CashService, pse: PseBankService, collections: CollectionsService | None = None) -> None:
        self.cash = cash
        self.pse = pse
        self.collections = collections

    def reset(self) -> None:
        self.cash.reset()
        self.pse.reset()

    def export(self) -> dict[str, Any]:
        counts, open_count, latest = self.cash.state.summary()
        commit = self.cash.state.commit
        return {
            "sicoop": {
                "transactions_by_status": counts,
                "open": open_count,
                "latest": [self.cash.view(t) for t in latest],
                "group_commit": {"batches": commit.batches, "units": commit.units},
            },
            "pse1066": {"payments_by_status": self.pse.state.counts()},
            **({"recaudos": self.collections.summary()} if self.collections is not None else {}),
        }

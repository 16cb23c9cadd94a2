"""SICOOP's wire models as the switch's cash flow uses them.

What crosses SICOOP's wire is shared with the collection network and the load tests, so it lives
once in :mod:`sandbox.protocols.sicoop` (requests, answers, patterns); here are only the switch's
own path vocabulary (its route declarations, with FastAPI's ``Path``, are in :mod:`.api`).
"""

from __future__ import annotations

from enum import StrEnum

from reference_impl.flows.cash.logic import CashKind
from sandbox.protocols.sicoop import (
    COUNTER_PATTERN,
    TRACE_PATTERN,
    DepositIn,
    TransactionList,
    TransactionOut,
    WithdrawalIn,
)

__all__ = [
    "COUNTER_PATTERN",
    "ID_PATTERN",
    "TRACE_PATTERN",
    "CashPath",
    "DepositIn",
    "TransactionList",
    "TransactionOut",
    "WithdrawalIn",
]

ID_PATTERN = r"^(wd|dp)-[0-9a-f]{16}$"
"""The switch's transaction id: ``wd-`` (withdrawal) or ``dp-`` (deposit) and 16 hex digits."""


class CashPath(StrEnum):  # the kind of a transaction as SICOOP's paths name it (no docstring: it is in the schema)
    withdrawals = "withdrawals"
    deposits = "deposits"

    @property
    def kind(self) -> CashKind:
        return CashKind.WITHDRAWAL if self is CashPath.withdrawals else CashKind.DEPOSIT

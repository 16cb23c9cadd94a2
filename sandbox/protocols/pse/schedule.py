"""When a collecting company asks ACH again about a PENDING transaction (PSE's integration rule). Pure.

The first GetTransactionInformationNF goes 7 minutes after the transaction was created, then at
least every 12 minutes until the state is final, whether the payer comes back or not.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

FIRST_QUERY_AFTER: Final = timedelta(minutes=7)
QUERY_EVERY: Final = timedelta(minutes=12)


def first_query_at(created_at: datetime) -> datetime:
    return created_at + FIRST_QUERY_AFTER


def next_query_at(queried_at: datetime) -> datetime:
    """After a query that found the transaction still PENDING."""
    return queried_at + QUERY_EVERY

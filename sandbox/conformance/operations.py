"""The operations a participant can declare, and which operation an HTTP request is (pure).

For a cooperative's core (``conformance coop``) the operations are those of the coop contract v1
(docs/coop-api.md); a request the run sends to the participant is named by method and path. For a
whole switch (``conformance switch``) they are the switch's flows, named by the rule areas of
``features/rules.yaml`` that prove them. Names follow the behaviour-rule operations
(``coop.debit``); a declaration may write them with or without the ``coop.`` prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

TARGETS = ("coop", "switch")


@dataclass(frozen=True)
class Operation:
    name: str
    title: str  # Spanish, for the report
    method: str = ""
    path: str = ""  # regex over the path after the base URL
    #: Rule areas whose scenarios exercise this operation (switch flows).
    areas: tuple[str, ...] = ()

    def matches(self, method: str, path: str) -> bool:
        return bool(self.method) and method.upper() == self.method and re.fullmatch(self.path, path) is not None


_E = r"/coop/v1/entities/(?P<entity>[^/]+)"
COOP_OPERATIONS: tuple[Operation, ...] = (
    Operation("coop.entity", "Consultar la entidad", "GET", _E),
    Operation("coop.lookup", "Consultar un asociado por documento", "GET", _E + r"/members"),
    Operation("coop.products", "Listar los productos de un asociado", "GET", _E + r"/members/[^/]+/products"),
    Operation("coop.debit", "Autorizar un débito (retención)", "POST", _E + r"/debits"),
    Operation("coop.post", "Aplicar un débito autorizado", "POST", _E + r"/debits/[^/]+/post"),
    Operation("coop.void", "Anular un débito autorizado", "POST", _E + r"/debits/[^/]+/void"),
    Operation("coop.credit", "Abonar a un producto", "POST", _E + r"/credits"),
    Operation("coop.reversal", "Reversar un movimiento", "POST", _E + r"/transactions/[^/]+/reversal"),
    Operation("coop.transaction", "Consultar un movimiento", "GET", _E + r"/transactions/[^/]+"),
    Operation("coop.transactions", "Consultar movimientos por referencia o fecha", "GET", _E + r"/transactions"),
)

SWITCH_OPERATIONS: tuple[Operation, ...] = (
    Operation("switch.recaudos", "Recaudos por PSE (COL)", areas=("COL",)),
    Operation("switch.pse_debito", "Pagos PSE debitados de la cooperativa (PSE)", areas=("PSE",)),
    Operation("switch.efectivo", "Retiros y depósitos en efectivo (CASH)", areas=("CASH",)),
)

CATALOGUE: dict[str, tuple[Operation, ...]] = {"coop": COOP_OPERATIONS, "switch": SWITCH_OPERATIONS}

#: COL-02: the product types a cooperative may declare.
PRODUCT_TYPES = ("OB", "CR", "AV", "TC", "PO", "AC", "AP", "CC", "DE", "DS")


def canonical(target: str, name: str) -> str:
    """``"debit"`` → ``"coop.debit"``; unknown names are returned as given (the caller refuses them)."""
    name = name.strip()
    return name if "." in name else f"{target}.{name}"


def operation_names(target: str) -> list[str]:
    return [op.name for op in CATALOGUE[target]]


def classify(target: str, base_url: str, method: str, url: str) -> tuple[str | None, str | None]:
    """The operation and the entity of a request sent to the participant at ``base_url``:
    ``("coop.debit", "ALIANZA")``; ``(None, None)`` when the URL is not the participant's or the
    path is none of the contract's operations."""
    base = urlsplit(base_url)
    target_url = urlsplit(url)
    if (target_url.scheme, target_url.netloc) != (base.scheme, base.netloc):
        return None, None
    prefix = base.path.rstrip("/")
    path = target_url.path
    if prefix:
        if not path.startswith(prefix + "/"):
            return None, None
        path = path[len(prefix) :]
    for op in CATALOGUE[target]:
        match = re.fullmatch(op.path, path) if op.method and op.method == method.upper() else None
        if match is not None:
            return op.name, match.groupdict().get("entity")
    return None, None


def title(target: str, name: str) -> str:
    return next((op.title for op in CATALOGUE[target] if op.name == name), name)

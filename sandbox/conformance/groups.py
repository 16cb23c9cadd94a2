"""The groups of scenarios a conformance run is made of (pure data).

A group is a set of feature files (globs relative to the project root), or the scenarios that
carry one of its tags (``@nucleo``: any end-to-end scenario that goes through the cooperative's
core joins ``conformance coop`` by carrying it). A group whose files do
not exist yet is reported as *pendiente* — nothing counts as passed for it — and joins the run
as soon as its features land: the collections and PSE-debit flows, written by other teams, plug
in by folder name. Groups that go through the whole network need the sandbox started around the
participant; all of them get the proxy (the fault cases break the link through it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The pytest module that collects the run's own contract scenarios (not a test_*.py: they need a participant).
CONTRACT_MODULE = "tests/conformance/suite/escenarios.py"


@dataclass(frozen=True)
class Group:
    name: str
    title: str  # Spanish, for the report
    targets: tuple[str, ...]
    globs: tuple[str, ...]
    #: What pytest is given to collect the group (a module or a folder).
    collect: str = "features"
    #: Needs every party of the sandbox running around the participant (end-to-end flows).
    needs_sandbox: bool = True
    #: For a switch: the declared operation (flow) the group is.
    operation: str | None = None
    #: Scenarios anywhere under ``collect`` that carry one of these tags join the group too.
    tags: tuple[str, ...] = ()

    def files(self, root: Path) -> list[Path]:
        found = {p for g in self.globs for p in root.glob(g)}
        if self.tags:
            marks = [f"@{t}" for t in self.tags]
            for path in (root / self.collect).rglob("*.feature"):
                words = path.read_text(encoding="utf-8", errors="replace").split()
                if any(m in words for m in marks):
                    found.add(path)
        return sorted(found)


GROUPS: tuple[Group, ...] = (
    Group(
        "contrato",
        "Contrato coop v1: consultas, débitos, abonos, reversas, idempotencia y fallas (COOP)",
        ("coop",),
        ("tests/conformance/suite/contrato/*.feature",),
        collect=CONTRACT_MODULE,
        needs_sandbox=False,
    ),
    Group(
        "coop",
        "Contrato coop v1: escenarios del simulador (features/coop, COOP-01..08)",
        ("coop",),
        ("features/coop/*.feature",),
    ),
    Group(
        "recaudos",
        "Recaudos por PSE de punta a punta a través del núcleo (COL)",
        ("coop", "switch"),
        ("features/recaudos/*.feature", "features/collections/*.feature"),
        operation="switch.recaudos",
    ),
    Group(
        "pse_debito",
        "Pagos PSE debitados de la cooperativa de punta a punta (PSE, banco 1066)",
        ("coop", "switch"),
        (
            "features/pse_coop/*.feature",
            "features/pse_debito/*.feature",
            "features/pse1066/*.feature",
            "features/banco1066/*.feature",
            "features/pse_banco/*.feature",
        ),
        operation="switch.pse_debito",
    ),
    Group(
        "efectivo",
        "Retiros y depósitos en efectivo (CASH)",
        ("switch",),
        ("features/efectivo/*.feature",),
        operation="switch.efectivo",
    ),
    Group(
        "fallas",
        "Fallas entre la red y el núcleo a través del proxy (respuesta perdida, duplicada, lenta)",
        ("coop",),
        (
            "features/fallas/*coop*.feature",
            "features/fallas/*recaudo*.feature",
            "features/fallas/*1066*.feature",
            "features/fallas/*nucleo*.feature",
        ),
    ),
    Group(
        "nucleo",
        "Otros escenarios de punta a punta que pasan por el núcleo (etiqueta @nucleo)",
        ("coop",),
        (),
        tags=("nucleo",),
    ),
    Group(
        "fallas_switch", "Fallas entre participantes a través del proxy", ("switch",), ("features/fallas/*.feature",)
    ),
)


def groups_for(target: str, chosen: list[str] | None = None) -> list[Group]:
    """The target's groups, in order; ``chosen`` keeps only those names (unknown names refused)."""
    mine = [g for g in GROUPS if target in g.targets]
    if chosen:
        names = {g.name for g in mine}
        unknown = [c for c in chosen if c not in names]
        if unknown:
            raise ValueError(f"grupo desconocido {', '.join(unknown)}; los de {target} son {', '.join(sorted(names))}")
        mine = [g for g in mine if g.name in chosen]
    return mine

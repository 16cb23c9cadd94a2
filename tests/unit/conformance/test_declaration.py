"""Declarations and waivers: YAML validated with pydantic, every problem named with its field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sandbox.conformance.declaration import (
    ConformanceFileError,
    Waiver,
    everything,
    load_declaration,
    load_waivers,
)
from sandbox.conformance.operations import classify


def write(tmp_path: Path, text: str, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_declaration_names_operations_with_or_without_prefix(tmp_path: Path) -> None:
    path = write(tmp_path, "participant: Coop\noperations: [lookup, coop.products, debit]\nproduct_types: [AV]\n")
    declaration = load_declaration(path, "coop", "ALIANZA")
    assert declaration.operations == ("coop.lookup", "coop.products", "coop.debit")
    assert declaration.declares("coop.debit") and not declaration.declares("coop.reversal")
    assert "coop.reversal" in declaration.undeclared("coop")
    assert not declaration.implicit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("operations: [lookup, debitar]\n", "operations: operación desconocida coop.debitar"),
        ("operatons: [lookup]\n", "operatons: campo desconocido"),
        ("participant: X\n", "operations: falta este campo obligatorio"),
        ("operations: [lookup]\nproduct_types: [AV, XX]\n", "product_types: tipo de producto desconocido: XX"),
        ("operations: [lookup]\ntarget: banco\n", "target: «banco» no es un destino"),
        ("operations: [lookup\n", "no es YAML válido (línea"),
        ("- lookup\n", "debe ser un mapa YAML"),
        ("operations: [lookup]\nentities: [OLOHZO]\n", "--entity ALIANZA no está entre las entidades declaradas"),
        ("operations: [lookup]\ntarget: switch\n", "operación desconocida switch.lookup"),
    ],
)
def test_a_bad_declaration_says_where_and_why(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConformanceFileError) as caught:
        load_declaration(write(tmp_path, text), "coop", "ALIANZA")
    assert expected in str(caught.value)
    assert str(tmp_path / "f.yaml") in str(caught.value)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConformanceFileError, match="no se puede leer"):
        load_declaration(tmp_path / "nada.yaml", "coop")


def test_without_a_file_everything_is_declared() -> None:
    declaration = everything("coop", "ALIANZA")
    assert declaration.implicit
    assert declaration.undeclared("coop") == []
    assert declaration.serves("ALIANZA") and not declaration.serves("OLOHZO")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("waivers:\n  - reason: una razón suficiente\n", "debe nombrar un escenario"),
        ("waivers:\n  - scenario: X\n    reason: corta\n", "reason"),
        ("waivers:\n  - rule: COOP-1\n    reason: una razón suficiente\n", "waivers.0.rule"),
        (
            "waivers:\n  - scenario: X\n    reason: una razón suficiente\n    hasta: 2026-01-01\n",
            "hasta: campo desconocido",
        ),
    ],
)
def test_a_bad_waiver_says_where_and_why(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConformanceFileError) as caught:
        load_waivers(write(tmp_path, text))
    assert expected in str(caught.value)


def test_a_waiver_matches_by_scenario_glob_rule_and_test_and_expires() -> None:
    waiver = Waiver(
        scenario="Un débito *", rule="COOP-03", reason="conocida desde la versión 2.3", until=date(2026, 3, 31)
    )
    assert waiver.matches(scenario="Un débito anulado", rules=["COOP-03"], test="t::x")
    assert not waiver.matches(scenario="Un débito anulado", rules=["COOP-06"], test="t::x")
    assert not waiver.matches(scenario="Un abono", rules=["COOP-03"], test="t::x")
    assert waiver.active(date(2026, 3, 31)) and not waiver.active(date(2026, 4, 1))


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        ("GET", "http://core:9000/coop/v1/entities/ALIANZA/members?document_type=CC", ("coop.lookup", "ALIANZA")),
        ("GET", "http://core:9000/coop/v1/entities/ALIANZA/members/m-1/products", ("coop.products", "ALIANZA")),
        ("POST", "http://core:9000/coop/v1/entities/OLOHZO/debits", ("coop.debit", "OLOHZO")),
        ("POST", "http://core:9000/coop/v1/entities/A/debits/d1/post", ("coop.post", "A")),
        ("POST", "http://core:9000/coop/v1/entities/A/debits/d1/void", ("coop.void", "A")),
        ("POST", "http://core:9000/coop/v1/entities/A/transactions/t1/reversal", ("coop.reversal", "A")),
        ("GET", "http://core:9000/coop/v1/entities/A/transactions/t1", ("coop.transaction", "A")),
        ("GET", "http://core:9000/coop/v1/entities/A/transactions?reference=R", ("coop.transactions", "A")),
        ("GET", "http://core:9000/coop/v1/entities/A", ("coop.entity", "A")),
        ("GET", "http://other:9000/coop/v1/entities/A", (None, None)),
        ("DELETE", "http://core:9000/coop/v1/entities/A/debits", (None, None)),
    ],
)
def test_requests_to_the_participant_are_named_by_operation(
    method: str, url: str, expected: tuple[str | None, str | None]
) -> None:
    assert classify("coop", "http://core:9000", method, url) == expected


def test_a_participant_under_a_path_prefix() -> None:
    assert classify("coop", "http://gw/core", "POST", "http://gw/core/coop/v1/entities/A/credits") == (
        "coop.credit",
        "A",
    )
    assert classify("coop", "http://gw/core", "POST", "http://gw/other/coop/v1/entities/A/credits") == (None, None)


def test_groups_join_by_folder_or_by_tag_and_unknown_names_are_refused(tmp_path: Path) -> None:
    from sandbox.conformance.groups import groups_for

    (tmp_path / "features" / "recaudos").mkdir(parents=True)
    (tmp_path / "features" / "recaudos" / "a.feature").write_text("Característica: a\n")
    (tmp_path / "features" / "otro").mkdir()
    (tmp_path / "features" / "otro" / "b.feature").write_text("@nucleo\nCaracterística: b\n")
    (tmp_path / "features" / "otro" / "c.feature").write_text("@nucleo_no\nCaracterística: c\n")
    groups = {g.name: g for g in groups_for("coop")}
    assert [p.name for p in groups["recaudos"].files(tmp_path)] == ["a.feature"]
    assert [p.name for p in groups["nucleo"].files(tmp_path)] == ["b.feature"]
    assert groups["pse_debito"].files(tmp_path) == []  # pending until its features land
    assert "efectivo" not in groups and "efectivo" in {g.name for g in groups_for("switch")}
    with pytest.raises(ValueError, match="grupo desconocido efectivo"):
        groups_for("coop", ["efectivo"])


def test_the_recorder_skips_what_is_undeclared_or_needs_the_participants_control_api() -> None:
    from sandbox.conformance.plugin import Recorder
    from sandbox.conformance.verdict import Case

    recorder = Recorder("coop", "http://core:9000", load_declaration_from({"operations": ["lookup"]}))
    recorder.case = Case("t", "f", "s", [], "passed")
    assert recorder.check("GET", "http://core:9000/coop/v1/entities/ALIANZA/members") == "coop.lookup"
    assert recorder.check("GET", "http://elsewhere/coop/v1/entities/ALIANZA/debits") is None
    with pytest.raises(pytest.skip.Exception, match=r"no declarada: .*coop\.debit"):
        recorder.check("POST", "http://core:9000/coop/v1/entities/ALIANZA/debits")
    assert recorder.case.undeclared
    recorder.case = Case("t", "f", "s", [], "passed")
    recorder.control_missing("http://core:9000/_sandbox/reset", 404)  # an optional hook: tolerated
    recorder.control_missing("http://core:9000/_sandbox/rules", 200)  # offered: fine
    with pytest.raises(pytest.skip.Exception, match=r"no aplica: .*/_sandbox/rules"):
        recorder.control_missing("http://core:9000/_sandbox/rules", 404)
    assert not recorder.case.undeclared


def load_declaration_from(data: dict[str, object]):  # type: ignore[no-untyped-def]
    from sandbox.conformance.declaration import Declaration

    return Declaration.model_validate(data)

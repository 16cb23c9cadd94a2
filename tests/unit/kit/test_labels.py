"""One language and one clock for people (issue 17): the kit's labels and Jinja filters."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import jinja2
import pytest

import reference_impl
import sandbox
from sandbox.kit.labels import (
    COLOMBIA,
    PARAGUAY,
    STATUS_LABELS,
    concept_label,
    day,
    environment,
    reason_label,
    status_label,
    utc_offset_label,
    wire_money,
    zone_time,
)

MOMENT = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)


def test_times_carry_their_zone() -> None:
    assert zone_time(MOMENT) == "15/01/2026 10:00 (hora de Colombia, UTC−5)"
    assert zone_time(MOMENT, PARAGUAY) == "15/01/2026 12:00 (hora de Paraguay, UTC−3)"
    assert zone_time("2026-01-15T15:00:05+00:00", seconds=True) == "15/01/2026 10:00:05 (hora de Colombia, UTC−5)"
    assert zone_time(MOMENT, label=False) == "15/01/2026 10:00"
    assert zone_time(None) == "—"


def test_paraguay_offset_follows_the_date() -> None:
    """Paraguay had summer time until 2024 (UTC−3 in January, UTC−4 in July); tzdata knows."""
    assert "UTC−4" in zone_time(datetime(2023, 7, 1, 12, tzinfo=UTC), PARAGUAY)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        zone_time(datetime(2026, 1, 15, 10, 0))


def test_utc_offsets() -> None:
    assert utc_offset_label(timedelta(hours=-5)) == "UTC−5"
    assert utc_offset_label(timedelta(hours=5, minutes=30)) == "UTC+5:30"
    assert utc_offset_label(timedelta(0)) == "UTC"
    assert zone_time(MOMENT.astimezone(UTC), "UTC") == "15/01/2026 15:00 (UTC, UTC)"


def test_statuses_and_reasons_in_spanish() -> None:
    assert status_label("APPROVED") == "Aprobada"
    assert status_label("withdrawal") == "Extracción"
    assert status_label(None) == "—"
    assert status_label("something_new") == "something_new"  # shown as it is, never «None»
    assert reason_label("soft_token_reused") == "Código soft-token ya usado"
    assert reason_label(None) == ""
    assert concept_label("withdrawals_confirmed") == "Extracciones confirmadas"
    assert concept_label("debits_posted") == "Débitos aplicados"
    assert concept_label("deposits_authorizing") == "Depósitos en autorización"


_STATUS_ENUM = re.compile(r"(Status|State|Kind|Event|Sync)$")


def _status_enums() -> list[type[StrEnum]]:
    """Every status-like StrEnum of the parties' pure modules (found by walking the packages, so
    that moving a module keeps it checked)."""
    found: dict[str, type[StrEnum]] = {}
    for package in (sandbox, reference_impl):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.rsplit(".", 1)[-1] not in ("logic", "states", "machine", "models"):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if isinstance(value, type) and issubclass(value, StrEnum) and _STATUS_ENUM.search(name):
                    found[f"{value.__module__}.{name}"] = value
    return list(found.values())


def test_every_status_of_every_party_has_a_label() -> None:
    enums = _status_enums()
    names = {e.__name__ for e in enums}
    assert {"OpStatus", "HoldState", "TxState", "PayState", "PaymentStatus", "CashStatus"} <= names, names
    ignored = {"HoldAction", "ProductType", "DocumentType"}
    missing = [
        f"{e.__name__}.{m.name}" for e in enums if e.__name__ not in ignored for m in e if m.value not in STATUS_LABELS
    ]
    assert missing == []


def test_money_for_its_country() -> None:
    assert wire_money("1500000.00") == "$1.500.000,00"
    assert wire_money("1500000", "PYG") == "₲ 1.500.000"
    assert wire_money("abc") == "abc"
    assert day(date(2026, 1, 15)) == "15/01/2026"
    assert day("2026-01-15") == "15/01/2026"


def test_templates_never_print_none(tmp_path: Path) -> None:
    (tmp_path / "t.html").write_text(
        "{{ x }}|{{ t | hora }}|{{ s | estado }}|{{ m | money('PYG') }}|{{ n | money }}|{{ r | motivo }}"
    )
    env = environment(jinja2.FileSystemLoader(str(tmp_path)))
    out = env.get_template("t.html").render(x=None, t=MOMENT, s="PENDING", m=1500000, n=None, r=None)
    assert out == "|15/01/2026 10:00 (hora de Colombia, UTC−5)|Pendiente|₲ 1.500.000|—|"
    assert COLOMBIA in env.globals.values()

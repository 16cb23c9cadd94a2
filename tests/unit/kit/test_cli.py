from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sandbox.cli import app, describe_duration, parse_duration
from sandbox.config import PARTIES

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("1h30m", 5400),
        ("2d", 172800),
        ("0.5m", 30),
        ("-25m", -1500),
        ("+5m", 300),
        ("-1h30m", -5400),
        (" 10M ", 600),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m5", "5m5", "--5m", "5m-", "-", "1h 30"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(typer.BadParameter, match=r"duración no válida|unidad"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["5", "90", "-25", "1.5"])
def test_bare_number_asks_for_a_unit(text: str) -> None:
    with pytest.raises(typer.BadParameter, match="no dice la unidad") as info:
        parse_duration(text)
    number = text.lstrip("-")
    assert f"{number}s" in str(info.value) and f"{number}m" in str(info.value)


def test_describe_duration() -> None:
    assert describe_duration(-1500) == "25 min atrás"
    assert describe_duration(5400) == "1 h 30 min adelante"
    assert describe_duration(0) == "0 s adelante"


def _nothing_runs(tmp_path: Path) -> Path:
    config = tmp_path / "sandbox.toml"
    config.write_text(f'state_dir = "{tmp_path}"\n' + "".join(f"[parties.{n}]\nport = 1\n" for n in PARTIES))
    return config


@pytest.mark.parametrize("duration", ["-25m", "-1h30m", "-0.5m", "-2d"])
def test_clock_advance_takes_a_negative_duration_as_the_argument(tmp_path: Path, duration: str) -> None:
    """click reads "-25m" as the options -2 -5 -m; the command keeps it as its argument."""
    result = runner.invoke(app, ["clock", "advance", duration, "--config", str(_nothing_runs(tmp_path))])
    assert "No such option" not in result.output
    assert "sin respuesta" in result.output  # it got as far as calling the (absent) sandbox
    assert result.exit_code == 1


def test_clock_advance_after_double_dash(tmp_path: Path) -> None:
    result = runner.invoke(app, ["clock", "advance", "--config", str(_nothing_runs(tmp_path)), "--", "-25m"])
    assert "No such option" not in result.output and "sin respuesta" in result.output


def test_clock_advance_refuses_a_bare_number(tmp_path: Path) -> None:
    result = runner.invoke(app, ["clock", "advance", "5", "--config", str(_nothing_runs(tmp_path))])
    assert result.exit_code == 2
    assert "unidad" in result.output and "5s" in result.output and "5m" in result.output


def test_clock_set_refuses_a_date_without_zone(tmp_path: Path) -> None:
    result = runner.invoke(app, ["clock", "set", "2026-01-15T10:00:00", "--config", str(_nothing_runs(tmp_path))])
    assert result.exit_code == 2 and "zona horaria" in result.output


def test_world_generate_and_check(tmp_path: Path) -> None:
    out = tmp_path / "w.yaml"
    result = runner.invoke(
        app, ["world", "generate", "--members", "20", "--seed", "3", "--counters", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"{out}: 20 asociados, 20 tarjetas" in result.output
    assert f"coop-sandbox up --world {out}" in result.output
    checked = runner.invoke(app, ["world", "check", str(out)])
    assert checked.exit_code == 0 and "20 asociados" in checked.output and "20 tarjetas" in checked.output


def test_world_generate_writes_exactly_the_members_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "w.json"
    result = runner.invoke(app, ["world", "generate", "--members", "1000", "--cards", "40", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert len(data["members"]) == 1000
    assert len(data["dimo_cards"]) == 40
    assert len({c["holder_document"] for c in data["dimo_cards"]}) == 40


def test_world_generate_refuses_fewer_than_the_personas(tmp_path: Path) -> None:
    result = runner.invoke(app, ["world", "generate", "--members", "2", "--out", str(tmp_path / "w.yaml")])
    assert result.exit_code == 2
    assert "personas" in result.output and not (tmp_path / "w.yaml").exists()


def test_world_check_reports_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("entities: [{code: A}]\n")
    result = runner.invoke(app, ["world", "check", str(bad)])
    assert result.exit_code == 2
    assert "entities[0].name" in result.output


def test_status_when_nothing_runs(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.toml"
    config.write_text("".join(f"[parties.{n}]\nport = 1\n" for n in ("switch",)))
    result = runner.invoke(app, ["status", "--config", str(config)])
    assert result.exit_code == 1
    assert "sin respuesta" in result.output


def test_status_never_cuts_a_url(tmp_path: Path) -> None:
    """Not a terminal (CI, a pipe): rich would cut at 80 columns; every URL is printed whole."""
    long_url = "http://core-bancario-de-la-cooperativa-del-sur.example.internal:18443"
    config = tmp_path / "sandbox.toml"
    config.write_text(
        "".join(f"[parties.{n}]\nport = 1\n" for n in PARTIES if n != "coop")
        + f'[parties.coop]\nport = 1\nexternal_url = "{long_url}"\n'
    )
    result = runner.invoke(app, ["status", "--config", str(config)])
    assert long_url in result.output
    assert "…" not in result.output
    assert "http://127.0.0.1:1 " in result.output


def test_reset_and_clock_reset_say_when_nothing_answers(tmp_path: Path) -> None:
    for args in (["reset"], ["clock", "reset"], ["clock", "set", "now"]):
        result = runner.invoke(app, [*args, "--config", str(_nothing_runs(tmp_path))])
        assert result.exit_code == 1, args
        assert "sin respuesta" in result.output


def test_fault_list_without_a_proxy_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sandbox started without --proxy: `fault list` says so plainly instead of a connection error."""
    monkeypatch.delenv("COOP_SANDBOX_PROXY_URL", raising=False)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"proxy_url": None, "state_dir": str(tmp_path)}))
    result = runner.invoke(app, ["fault", "list", "--config", str(_nothing_runs(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "sin proxy" in result.output and "coop-sandbox up --proxy" in result.output
    added = runner.invoke(app, ["fault", "add", "--kind", "error", "--config", str(_nothing_runs(tmp_path))])
    assert added.exit_code == 1 and "sin proxy" in added.output

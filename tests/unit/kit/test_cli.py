from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sandbox.cli import app, parse_duration

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("0.5m", 30)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m5", "5m5", "-5m"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_duration(text)


def test_world_generate_and_check(tmp_path: Path) -> None:
    out = tmp_path / "w.yaml"
    result = runner.invoke(
        app, ["world", "generate", "--members", "20", "--seed", "3", "--counters", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists()
    checked = runner.invoke(app, ["world", "check", str(out)])
    assert checked.exit_code == 0 and "válido" in checked.output


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

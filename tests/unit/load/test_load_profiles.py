"""Profiles and thresholds files: the shipped ones parse, shapes follow their stages, errors name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.load.profiles import ProfileError, load_profiles, parse_duration


def test_the_shipped_profiles_parse_and_each_has_thresholds() -> None:
    profiles = load_profiles()
    assert {"smoke", "steady", "ramp", "spike", "soak", "bench"} <= set(profiles)
    for profile in profiles.values():
        assert profile.thresholds.fail_ratio_max is not None, profile.name
        assert profile.stages[-1].until == 1.0
    assert profiles["smoke"].duration_s < 30  # it runs in `make test`


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("5m", 300), ("1h30m", 5400), ("45", 45), (12, 12), ("0.5s", 0.5)]
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_bad_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="duración no válida"):
        parse_duration("5 minutes")


def test_the_shape_follows_the_stages_then_ends() -> None:
    spike = load_profiles()["spike"].scaled(users=100, duration_s=100)
    assert spike.at(0) == (25, spike.spawn_rate)
    assert spike.at(40)[0] == 100  # type: ignore[index]
    assert spike.at(60)[0] == 25  # type: ignore[index]
    assert spike.at(100) is None
    assert spike.spawn_rate == pytest.approx(load_profiles()["spike"].spawn_rate * 100 / 128)


def _files(tmp_path: Path, profiles: str, thresholds: str = "") -> tuple[Path, Path]:
    p, t = tmp_path / "profiles.toml", tmp_path / "thresholds.toml"
    p.write_text(profiles)
    t.write_text(thresholds)
    return p, t


@pytest.mark.parametrize(
    ("profiles", "thresholds", "message"),
    [
        ("[a]\nstages = [{until = 0.5, users = 1.0}]\n", "", "la última etapa"),
        ("[a]\nstages = [{until = 0.6, users = 1.0}, {until = 0.5, users = 1.0}]\n", "", "debe crecer"),
        ("[a]\nstages = [{until = 1.0, users = 2.0}]\n", "", "fracción"),
        ("[a]\nspeed = 3\n", "", "claves desconocidas"),
        ('[a]\nduration = "soon"\n', "", "duración no válida"),
        ("[a]\n", "[b]\nfail_ratio_max = 0\n", "perfiles que no existen"),
        ("[a]\n", '[a.requests."/x"]\np50_ms = 3\n', "claves posibles"),
        ("[a]\n", "[a]\nfail_ratio_max = -1\n", "fail_ratio_max"),
        ("[a\n", "", "no es TOML válido"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path: Path, profiles: str, thresholds: str, message: str) -> None:
    p, t = _files(tmp_path, profiles, thresholds)
    with pytest.raises(ProfileError, match=message):
        load_profiles(p, t)


def test_the_load_command_refuses_a_host_without_ceibo_and_red() -> None:
    from typer.testing import CliRunner

    from sandbox.cli import app

    result = CliRunner().invoke(app, ["load", "steady", "--host", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "--ceibo" in result.output
    result = CliRunner().invoke(app, ["load", "nosuch"])
    assert result.exit_code == 2
    assert "perfil desconocido" in result.output

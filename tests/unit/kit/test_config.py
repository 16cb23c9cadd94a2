from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import PARTIES, ConfigError, load_config
from sandbox.runner import parse_externals, with_free_ports


def test_defaults_cover_every_party() -> None:
    config = load_config(None)
    assert {n: p.port for n, p in config.parties.items()} == {n: v[0] for n, v in PARTIES.items()}
    assert config.urls()["notify"] == "http://127.0.0.1:8008"


def test_file_and_overrides(tmp_path: Path) -> None:
    file = tmp_path / "sandbox.toml"
    file.write_text(
        'clock = "frozen"\nworld = "w.yaml"\n[parties.coop]\nport = 9003\nexternal_url = "http://10.0.0.5:9000/"\n'
    )
    config = load_config(file, log_level="debug")
    assert config.clock == "frozen" and config.log_level == "debug"
    assert config.world == str((tmp_path / "w.yaml").resolve())
    assert config.party("coop").url == "http://10.0.0.5:9000" and config.party("coop").external
    assert "coop" in config.urls()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[parties.nobody]\nport = 1\n", "participantes desconocidos"),
        ("[parties.coop]\nport = 99999\n", "parties.coop.port"),
        ('clock = "sometimes"\n', "clock"),
        ("this is = not toml =", "TOML"),
        ('[parties.coop]\nport = 1\nexternal_url = "ftp://x"\n', "http://"),
    ],
)
def test_bad_files_are_explained(tmp_path: Path, text: str, words: str) -> None:
    file = tmp_path / "sandbox.toml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_config(file)


def test_free_ports_and_externals() -> None:
    config = with_free_ports(load_config(None))
    ports = [p.port for p in config.parties.values()]
    assert len(set(ports)) == len(ports) and 8000 not in ports
    assert parse_externals(["coop=http://h:1", "ceibo = http://c:2"]) == {"coop": "http://h:1", "ceibo": "http://c:2"}
    with pytest.raises(ValueError, match="NOMBRE=URL"):
        parse_externals(["coop"])

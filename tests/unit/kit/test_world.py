from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sandbox.world import DEFAULT_WORLD, WorldError, load_world, parse_world
from sandbox.world.generate import generate_world, write_world
from sandbox.world.model import ProductType


def default_data() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(DEFAULT_WORLD.read_text())
    return data


def test_default_world_has_the_seed_member() -> None:
    world = load_world()
    nick = world.member_by_document("CC", "1033370434")
    assert nick is not None and nick.full_name == "NICK RIVERA CAMINERO"
    numbers = {p.number[-4:]: p for p in nick.products}
    assert {"7756", "6764", "7626", "8768"} <= set(numbers)
    assert numbers["7626"].type is ProductType.CR
    assert numbers["7626"].minimum_payment_minor == 180_000  # $1.800,00
    assert numbers["7626"].total_payment_minor == 150_000_000  # $1.500.000,00
    assert world.bank("1066") is not None and world.bank("1066").simulated_by == "switch"  # type: ignore[union-attr]
    assert any(not e.collections_enabled for e in world.entities)
    assert {c.status for c in world.dimo_cards} == {"active", "blocked"}
    assert any(c.registration == "fail" for c in world.counters)


def _broken(path: list[object], value: object) -> dict[str, object]:
    data = default_data()
    node: object = data
    for key in path[:-1]:
        node = node[key]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]
    return data


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ["members", 0, "products", 0, "balance"],
            "12.345",
            "members[0].products[0].balance: debe expresarse con a lo sumo 2 decimales",
        ),
        (["members", 0, "products", 0, "entity"], "NOPE", "la entidad «NOPE» no existe"),
        (["members", 0, "mobile"], "12345", "members[0].mobile"),
        (["members", 1, "document_number"], "1033370434", "members.document repetido"),
        (["dimo_cards", 0, "balance"], "10.50", "sin decimales"),
        (["dimo_cards", 0, "soft_token_secret"], "not-base32!", "dimo_cards[0].soft_token_secret"),
        (["merchants", 0, "gateway_merchant_id"], "999", "no está en gateway_accounts"),
        (["banks", 0, "simulated_by"], "switch", "solo un banco"),
        (["members", 0, "colour"], "red", "members[0].colour: no es un campo conocido"),
        (["dimo_cards", 0, "holder_document"], "٤٥٦٧٨٩٠", "dimo_cards[0].holder_document"),  # ASCII digits only
        (["members", 0, "mobile"], "３１０４５６７８９０", "members[0].mobile"),
    ],
)
def test_invalid_worlds_are_explained(path: list[object], value: object, expected: str) -> None:
    with pytest.raises(WorldError) as info:
        parse_world(_broken(path, value), "mundo.yaml")
    assert "mundo.yaml" in str(info.value)
    assert expected in str(info.value)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(WorldError, match="no se puede leer"):
        load_world(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("members: [\n  - {id: x\n")
    with pytest.raises(WorldError, match="línea"):
        load_world(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("42\n")
    with pytest.raises(WorldError, match="mapa"):
        load_world(scalar)


def test_generation_is_deterministic_and_valid(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    write_world(generate_world(300, seed=7, counters=5), a)
    write_world(generate_world(300, seed=7, counters=5), b)
    write_world(generate_world(300, seed=8, counters=5), c)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    world = load_world(a)
    defaults = load_world()
    assert len(world.members) == 300  # exactly what was asked, the default world's personas included
    assert len(world.dimo_cards) == 300
    assert len(world.counters) == len(defaults.counters) + 5
    assert world.member_by_document("CC", "1033370434") is not None
    # The fast reader and a plain YAML parser agree on the content.
    plain = yaml.safe_load(a.read_text())
    assert len(plain["members"]) == len(world.members)
    assert plain["dimo_cards"][-1]["card_id"] == world.dimo_cards[-1].card_id


def test_generated_json_world(tmp_path: Path) -> None:
    out = tmp_path / "w.json"
    write_world(generate_world(50, seed=1, cards=10, counters=0), out)
    world = load_world(out)
    assert len(world.dimo_cards) == 10
    assert len(world.members) == 50

"""Generate large worlds for load tests: ``coop-sandbox world generate``.

The generated world is the default world (every named persona keeps working) grown to exactly
``members`` members (the personas plus generated members with products at the Colombian
entities) and exactly ``cards`` DIMO cards, plus ``counters`` more collection counters in Paraguay.
Names and cédulas come from Faker ``es_CO``
(``nuip()``); everything is drawn from generators seeded with ``seed``, so the same seed gives
the same file, byte for byte.
"""

from __future__ import annotations

import base64
import json
import random
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from faker import Faker

from sandbox.world.loader import BIG_SECTIONS, DEFAULT_WORLD, GENERATED_MARK

try:
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _Dumper = yaml.SafeDumper

_COL_ENTITIES = ("ALIANZA", "OLOHZO")
_POOL = 2000  # distinct first/last names drawn from Faker, combined by the seeded generator


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _money(units: int) -> str:
    return f"{units}.00"


class WorldSizeError(ValueError):
    """A size the generator cannot honour exactly (message in Spanish)."""


def generate_world(members: int, seed: int, *, cards: int | None = None, counters: int = 50) -> dict[str, Any]:
    """Build the world as plain data (YAML-ready): exactly ``members`` members and ``cards`` DIMO
    cards (default: as many as members), the default world's personas included."""
    if members < 0 or (cards is not None and cards < 0) or counters < 0:
        raise WorldSizeError("members, cards y counters no pueden ser negativos")
    cards = members if cards is None else cards
    world: dict[str, Any] = yaml.load(DEFAULT_WORLD.read_text(), Loader=yaml.SafeLoader)
    personas, persona_cards = len(world["members"]), len(world["dimo_cards"])
    if members < personas or cards < persona_cards:
        raise WorldSizeError(
            f"el mundo generado conserva las {personas} personas y {persona_cards} tarjetas del mundo por "
            f"defecto: pida al menos --members {personas} y --cards {persona_cards}"
        )
    rng = random.Random(seed)
    fake = Faker("es_CO")
    fake.seed_instance(seed)
    members -= personas
    cards -= persona_cards

    world["description"] = f"Mundo generado: {members} asociados, {cards} tarjetas DIMO, semilla {seed}."
    firsts = [fake.first_name().upper() for _ in range(_POOL)]
    lasts = [fake.last_name().upper() for _ in range(_POOL)]

    taken_docs = {m["document_number"] for m in world["members"]}
    out_members = world["members"]
    for i in range(members):
        doc = str(fake.nuip())
        while doc in taken_docs:
            doc = str(fake.nuip())
        taken_docs.add(doc)
        first, last1, last2 = rng.choice(firsts), rng.choice(lasts), rng.choice(lasts)
        products: list[dict[str, Any]] = [
            {
                "entity": rng.choice(_COL_ENTITIES),
                "type": "AV",
                "number": f"40{i:010d}",
                "balance": _money(rng.randrange(50_000, 20_000_000, 1000)),
                "pse_debit": True,
                "other_min": "1000.00",
                "other_max": "50000000.00",
            }
        ]
        if rng.random() < 0.5:
            total = rng.randrange(500_000, 30_000_000, 1000)
            products.append(
                {
                    "entity": products[0]["entity"],
                    "type": rng.choice(("OB", "CR")),
                    "number": f"70{i:010d}",
                    "balance": _money(total),
                    "due_date": f"2026-12-{rng.randint(1, 28):02d}",
                    "minimum_payment": _money(max(1000, total // 20)),
                    "total_payment": _money(total),
                    "other_min": "1000.00",
                    "other_max": _money(total),
                }
            )
        out_members.append(
            {
                "id": f"m{i:07d}",
                "document_type": "CC",
                "document_number": doc,
                "first_names": first,
                "last_names": f"{last1} {last2}",
                "email": f"{_ascii(first)}.{_ascii(last1)}.{i}@example.com",
                "mobile": f"3{rng.randrange(10**9):09d}",
                "portal": {"username": f"u{i:07d}", "password": "Redcoop.2024"},
                "products": products,
            }
        )

    # Drawn without repetition, with room for the personas' numbers, which are skipped.
    taken_ci = {c["holder_document"] for c in world["dimo_cards"]}
    taken_phones = {c["phone"] for c in world["dimo_cards"]}
    spare = len(taken_ci) + len(taken_phones)
    phones = iter(rng.sample(range(80_000_000, 99_999_999), cards + spare))
    ci_numbers = iter(rng.sample(range(1_000_000, 9_999_999), cards + spare))
    for i in range(cards):
        ci = next(n for n in map(str, ci_numbers) if n not in taken_ci)
        phone = next(p for p in (f"09{n:08d}" for n in phones) if p not in taken_phones)
        world["dimo_cards"].append(
            {
                "card_id": f"DIMO-G{i:07d}",
                "entity": "NANDE",
                "holder_name": f"{rng.choice(firsts)} {rng.choice(lasts)}",
                "holder_document": ci,
                "phone": phone,
                "balance": str(rng.randrange(1_000_000, 50_000_000, 1000)),
                "soft_token_secret": base64.b32encode(rng.randbytes(20)).decode(),
            }
        )
    for i in range(counters):
        world["counters"].append(
            {
                "id": f"RC-G{i:04d}",
                "name": f"Boca {i + 1}",
                "network": rng.choice(("Aquí Pago", "Pago Express")),
                "cash": str(500_000_000),
            }
        )
    return world


def write_world(world: dict[str, Any], out: Path) -> None:
    """Write ``.json`` as JSON; anything else as YAML whose big lists hold one JSON object per
    line, which every YAML parser reads and :func:`sandbox.world.load_world` reads fast."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".json":
        out.write_text(json.dumps(world, ensure_ascii=False, default=str, indent=1) + "\n", encoding="utf-8")
        return
    small = {k: v for k, v in world.items() if k not in BIG_SECTIONS}
    with out.open("w", encoding="utf-8") as fh:
        fh.write(f"{GENERATED_MARK}: made by `coop-sandbox world generate`; do not edit by hand.\n")
        yaml.dump(small, fh, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)
        for section in BIG_SECTIONS:
            fh.write(f"{section}:\n")
            for item in world.get(section, ()):
                fh.write("- " + json.dumps(item, ensure_ascii=False, default=str) + "\n")
